-- Sessions and tokens: one table for browser sessions, API tokens and (later)
-- Matrix access tokens. Only a hash of each token is stored.
CREATE TABLE access_tokens (
  token_hash bytea PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('web', 'api', 'matrix', 'login')),
  -- Matrix device the token belongs to (kind = 'matrix').
  device_id text,
  label text,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz,
  last_used_at timestamptz
);
CREATE INDEX access_tokens_staff ON access_tokens (staff_id, kind);

-- Presence: a manual status with an optional expiry; "online" comes from live sockets.
CREATE TABLE presence (
  staff_id text PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
  manual_status text CHECK (manual_status IN ('available', 'busy', 'away')),
  manual_until timestamptz,
  online boolean NOT NULL DEFAULT false,
  changed_at timestamptz NOT NULL DEFAULT now()
);
