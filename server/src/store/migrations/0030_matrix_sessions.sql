-- Matrix sessions: access tokens expire and refresh tokens renew them, and a
-- Matrix session never outlives the sign-in it came from.
ALTER TABLE access_tokens DROP CONSTRAINT access_tokens_kind_check;
ALTER TABLE access_tokens ADD CONSTRAINT access_tokens_kind_check
  CHECK (kind IN ('web', 'api', 'matrix', 'login', 'matrix_refresh'));

-- The token (a web session or an API token) that minted an m.login.token, and the
-- Matrix tokens that login opened: deleting it (sign-out, expiry clean-up) deletes them.
ALTER TABLE access_tokens ADD COLUMN minted_by bytea REFERENCES access_tokens (token_hash) ON DELETE CASCADE;
CREATE INDEX access_tokens_minted_by ON access_tokens (minted_by) WHERE minted_by IS NOT NULL;

-- A pair of tokens from POST /refresh names the refresh token it replaces: that
-- one stays usable until the pair is first used, then it is deleted.
ALTER TABLE access_tokens ADD COLUMN replaces bytea;
CREATE INDEX access_tokens_replaces ON access_tokens (replaces) WHERE replaces IS NOT NULL;

-- Matrix tokens issued before expiry existed end like a browser session would.
UPDATE access_tokens SET expires_at = now() + interval '12 hours' WHERE kind = 'matrix' AND expires_at IS NULL;
