-- Sign-in support indexes.
-- Deleting expired tokens (auth/routes.ts, at most once a minute per node).
CREATE INDEX access_tokens_expiry ON access_tokens (expires_at) WHERE expires_at IS NOT NULL;
-- Linking an OIDC identity to a person by the provider's email claim.
CREATE INDEX staff_email_lower ON staff (lower(email)) WHERE active AND email IS NOT NULL;
-- "Does this person already have an identity at this provider?"
CREATE INDEX staff_identities_staff ON staff_identities (staff_id, provider);
