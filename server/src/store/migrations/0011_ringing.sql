-- The ring lifecycle: a routing request rings the people its rule set chose,
-- step by step, until someone accepts or the final action is taken.

CREATE TABLE routing_requests (
  id text PRIMARY KEY,
  requester_id text NOT NULL REFERENCES staff(id),
  requester_organisation_id text NOT NULL REFERENCES organisations(id),
  requester_organisation_kind text NOT NULL CHECK (requester_organisation_kind IN ('kela', 'county')),
  client_id text NOT NULL REFERENCES clients(id),
  request_type text NOT NULL,
  urgency text NOT NULL CHECK (urgency IN ('urgent', 'normal')),
  criteria text[] NOT NULL DEFAULT '{}',
  language text,
  segment text,
  -- The legal basis under which the client's identity is disclosed on accept.
  basis text NOT NULL,
  consent_id text,
  state text NOT NULL CHECK (state IN ('ringing', 'accepted', 'callback', 'urgent_queue', 'refused', 'cancelled')),
  -- The rule set as it was when the request started: a later publish or
  -- rollback changes the next request, never one already ringing.
  rule_set_region text NOT NULL,
  rule_set_version integer,
  filter jsonb,
  final jsonb NOT NULL,
  -- Where the ring is: the step of the filter, and the round of offers within
  -- it (a serial step offers one person per round). Timers carry the round, so
  -- a timeout of an earlier round does nothing.
  step_index integer NOT NULL DEFAULT 0,
  round integer NOT NULL DEFAULT 0,
  -- The current step's candidates in ringing order, and everyone already rung.
  step_candidates jsonb NOT NULL DEFAULT '[]',
  listed text[] NOT NULL DEFAULT '{}',
  -- The decision path: step views and events, in order (the request's explanation).
  explanation jsonb NOT NULL DEFAULT '[]',
  accepted_by text REFERENCES staff(id),
  room_id text,
  disclosure_id text,
  -- The callback request left when nobody answered (callbacks/).
  callback_id text,
  created_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX routing_requests_requester ON routing_requests (requester_id, created_at DESC);

CREATE TABLE ring_offers (
  id text PRIMARY KEY,
  request_id text NOT NULL REFERENCES routing_requests(id),
  staff_id text NOT NULL REFERENCES staff(id),
  step_id text NOT NULL,
  round integer NOT NULL,
  state text NOT NULL CHECK (state IN ('ringing', 'accepted', 'declined', 'expired', 'withdrawn')),
  decline_reason text,
  offered_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  ended_at timestamptz
);
CREATE INDEX ring_offers_request ON ring_offers (request_id, round);
CREATE INDEX ring_offers_staff_ringing ON ring_offers (staff_id) WHERE state = 'ringing';

-- Shared by all nodes: when each person was last offered a ring by a step
-- (round-robin) and last took one (longest-idle).
CREATE TABLE ring_rotation (
  rotation_key text NOT NULL,
  staff_id text NOT NULL REFERENCES staff(id),
  last_offered_at timestamptz NOT NULL,
  PRIMARY KEY (rotation_key, staff_id)
);
CREATE TABLE ring_activity (
  staff_id text PRIMARY KEY REFERENCES staff(id),
  last_accepted_at timestamptz NOT NULL
);
