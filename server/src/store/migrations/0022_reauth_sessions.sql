-- Re-authentication before a sensitive operation (Matrix user-interactive
-- auth: deleting a device, replacing cross-signing keys). A session belongs to
-- one person and one operation (a hash of method, path and body) and records
-- the stages completed: a password typed again, or a fresh sign-in at the
-- person's identity provider. Used once, or expires.
CREATE TABLE reauth_sessions (
  id text PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  operation text NOT NULL,
  completed text[] NOT NULL DEFAULT '{}',
  expires_at timestamptz NOT NULL
);
CREATE INDEX reauth_sessions_expiry ON reauth_sessions (expires_at);
