-- Urgency escalation foundations: durable timers, on-call schedules,
-- escalation policies and running escalations.

-- Durable timers. A runner claims due rows with FOR UPDATE SKIP LOCKED and sets
-- fired_at in the same transaction as the handler's writes, so each timer's
-- database effects happen exactly once however many nodes run. A node that dies
-- mid-transaction releases its row locks; another node then fires the timer.
CREATE TABLE timers (
  id bigserial PRIMARY KEY,
  kind text NOT NULL,
  -- Optional idempotency key: scheduling the same key twice keeps one timer.
  key text UNIQUE,
  due_at timestamptz NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL DEFAULT now(),
  fired_at timestamptz,
  fired_by text,
  -- 'fired' or 'failed' (gave up after too many handler errors)
  outcome text CHECK (outcome IN ('fired', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  CHECK ((fired_at IS NULL) = (outcome IS NULL))
);
CREATE INDEX timers_pending_due ON timers (due_at) WHERE fired_at IS NULL;

-- On-call schedules: layers and overrides as JSON, validated by urgent/oncall.ts.
CREATE TABLE oncall_schedules (
  id text PRIMARY KEY,
  organisation_id text NOT NULL REFERENCES organisations(id),
  name text NOT NULL,
  definition jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oncall_schedules_org ON oncall_schedules (organisation_id);

-- Escalation policies: levels with targets and delays, and a loop count.
CREATE TABLE escalation_policies (
  id text PRIMARY KEY,
  organisation_id text NOT NULL REFERENCES organisations(id),
  name text NOT NULL,
  definition jsonb NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escalation_policies_org ON escalation_policies (organisation_id);

-- One running (or finished) escalation of one urgent item. The policy is copied
-- at start so editing a policy never changes an escalation already under way.
CREATE TABLE escalations (
  id text PRIMARY KEY,
  organisation_id text NOT NULL REFERENCES organisations(id),
  team_id text REFERENCES teams(id),
  policy_id text NOT NULL REFERENCES escalation_policies(id),
  policy jsonb NOT NULL,
  subject_kind text NOT NULL,
  subject_id text NOT NULL,
  state text NOT NULL CHECK (state IN ('active', 'acknowledged', 'exhausted', 'cancelled')),
  -- The next step to fire: step s notifies level s % levels in loop s / levels.
  next_step integer NOT NULL DEFAULT 0,
  timer_id bigint,
  started_at timestamptz NOT NULL,
  acknowledged_by text REFERENCES staff(id),
  ended_at timestamptz
);
CREATE INDEX escalations_subject ON escalations (subject_kind, subject_id);
CREATE UNIQUE INDEX escalations_one_active ON escalations (subject_kind, subject_id) WHERE state = 'active';

CREATE TABLE escalation_events (
  id bigserial PRIMARY KEY,
  escalation_id text NOT NULL REFERENCES escalations(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  kind text NOT NULL CHECK (kind IN ('started', 'notified', 'acknowledged', 'supervisor_alert', 'cancelled')),
  level integer,
  loop integer,
  recipients text[] NOT NULL DEFAULT '{}',
  actor_id text
);
CREATE INDEX escalation_events_escalation ON escalation_events (escalation_id, id);
