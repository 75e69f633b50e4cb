-- Every change an administrator makes outside the routing rules (which keep
-- their own history): who, when, in which organisation, what. Append-only.
CREATE TABLE admin_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL,
  actor_id text NOT NULL,
  organisation_id text NOT NULL,
  kind text NOT NULL,
  target text NOT NULL,
  action text NOT NULL,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX admin_changes_org ON admin_changes (organisation_id, id DESC);
