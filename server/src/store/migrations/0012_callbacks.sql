-- Callback requests: when nobody can answer now. Addressed to a team or a
-- person, owned by whoever claims it, due at a time the rule or the requester
-- set. The note for the counterpart is never here: it travels encrypted as
-- the first message of the callback's conference room.
CREATE TABLE callbacks (
  id text PRIMARY KEY,
  requester_id text NOT NULL REFERENCES staff(id),
  requester_organisation_id text NOT NULL REFERENCES organisations(id),
  target_team_id text REFERENCES teams(id),
  target_staff_id text REFERENCES staff(id),
  client_id text REFERENCES clients(id),
  request_type text NOT NULL,
  routing_request_id text REFERENCES routing_requests(id),
  -- Preferred time windows [{from, to}] and the contact channel {kind: 'phone' | 'conference'}.
  windows jsonb NOT NULL DEFAULT '[]',
  channel jsonb NOT NULL,
  due_at timestamptz NOT NULL,
  reason text NOT NULL CHECK (reason IN ('steps_exhausted', 'requester_choice', 'direct')),
  state text NOT NULL CHECK (state IN ('open', 'claimed', 'done', 'cancelled')),
  owner_id text REFERENCES staff(id),
  attempts integer NOT NULL DEFAULT 0,
  room_id text,
  escalated_at timestamptz,
  created_at timestamptz NOT NULL,
  closed_at timestamptz,
  CHECK ((target_team_id IS NULL) <> (target_staff_id IS NULL))
);
CREATE INDEX callbacks_team_open ON callbacks (target_team_id, due_at) WHERE state IN ('open', 'claimed');
CREATE INDEX callbacks_staff_open ON callbacks (target_staff_id, due_at) WHERE state IN ('open', 'claimed');
CREATE INDEX callbacks_owner ON callbacks (owner_id, due_at);
CREATE INDEX callbacks_requester ON callbacks (requester_id, created_at DESC);

CREATE TABLE callback_events (
  id bigserial PRIMARY KEY,
  callback_id text NOT NULL REFERENCES callbacks(id),
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('created', 'claimed', 'released', 'not_reached', 'done', 'cancelled', 'reminded', 'escalated')),
  actor_id text REFERENCES staff(id)
);
CREATE INDEX callback_events_callback ON callback_events (callback_id, id);
