-- Routing rule sets, one series of versions per region (a county or Kela
-- district organisation id, or 'default'). Bodies are the declarative JSON of
-- shared/src/routing.ts; at most one version per region is published.

CREATE TABLE routing_rule_sets (
  region text NOT NULL,
  version int NOT NULL CHECK (version > 0),
  status text NOT NULL CHECK (status IN ('draft', 'published', 'archived')),
  body jsonb NOT NULL,
  -- staff id; NULL for the shipped default rule set
  created_by text,
  created_at timestamptz NOT NULL DEFAULT now(),
  published_by text,
  published_at timestamptz,
  comment text,
  PRIMARY KEY (region, version)
);
CREATE UNIQUE INDEX routing_rule_sets_one_published ON routing_rule_sets (region) WHERE status = 'published';

-- Every change to rules: who, when, what.
CREATE TABLE routing_rule_changes (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id text,
  region text NOT NULL,
  version int,
  action text NOT NULL CHECK (action IN ('draft_created', 'draft_updated', 'published', 'rolled_back', 'archived', 'default_installed')),
  comment text,
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX routing_rule_changes_region ON routing_rule_changes (region, at);
