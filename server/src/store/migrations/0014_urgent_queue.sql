-- The urgent queue both sides' on-call staff see, and the urgency criteria a
-- request marked urgent must cite. Criteria are per region ('default' applies
-- where a region has none of its own).
CREATE TABLE urgency_criteria (
  region text NOT NULL,
  code text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,60}$'),
  name_fi text NOT NULL,
  name_sv text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (region, code)
);
INSERT INTO urgency_criteria (region, code, name_fi, name_sv) VALUES
  ('default', 'no_food_or_medicine', 'Ei ruokaa tai välttämättömiä lääkkeitä tänään', 'Ingen mat eller nödvändig medicin i dag'),
  ('default', 'eviction_imminent', 'Häätö uhkaa lähipäivinä', 'Vräkning hotar inom de närmaste dagarna'),
  ('default', 'utility_cutoff_imminent', 'Sähkön tai lämmön katkaisu uhkaa', 'Avstängning av el eller värme hotar'),
  ('default', 'child_without_means', 'Taloudessa lapsi ilman välttämättömiä varoja', 'Barn i hushållet utan nödvändiga medel'),
  ('default', 'no_housing_tonight', 'Ei asuntoa tänä yönä', 'Ingen bostad i natt');

CREATE TABLE urgent_items (
  id text PRIMARY KEY,
  -- The county whose queue holds the item (the client's county).
  region text NOT NULL REFERENCES organisations(id),
  routing_request_id text REFERENCES routing_requests(id),
  requester_id text NOT NULL REFERENCES staff(id),
  requester_organisation_id text NOT NULL REFERENCES organisations(id),
  client_id text NOT NULL REFERENCES clients(id),
  request_type text NOT NULL,
  criteria text[] NOT NULL,
  state text NOT NULL CHECK (state IN ('waiting', 'claimed', 'resolved')),
  owner_id text REFERENCES staff(id),
  assessment text CHECK (assessment IN ('urgent', 'not_urgent')),
  assessment_criteria text[] NOT NULL DEFAULT '{}',
  assessed_by text REFERENCES staff(id),
  ack_due_at timestamptz NOT NULL,
  resolve_due_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL,
  claimed_at timestamptz,
  resolved_at timestamptz
);
CREATE INDEX urgent_items_queue ON urgent_items (region, created_at) WHERE state <> 'resolved';

CREATE TABLE urgent_item_events (
  id bigserial PRIMARY KEY,
  item_id text NOT NULL REFERENCES urgent_items(id),
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('queued', 'claimed', 'assessed', 'handed_over', 'resolved')),
  actor_id text REFERENCES staff(id),
  details jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX urgent_item_events_item ON urgent_item_events (item_id, id);
