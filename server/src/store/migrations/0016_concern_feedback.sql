-- The concern-notification feedback loop (huoli-ilmoitus): the sender sees the
-- receiving county's status change live, and a reminder goes out when no status
-- arrives within the region's working-day limit.
ALTER TABLE concern_notifications
  ADD COLUMN sender_id text REFERENCES staff(id),
  ADD COLUMN responsible_worker_id text REFERENCES staff(id),
  ADD COLUMN status_due_at timestamptz,
  ADD COLUMN updated_at timestamptz;

CREATE TABLE concern_status_events (
  id bigserial PRIMARY KEY,
  concern_id text NOT NULL REFERENCES concern_notifications(id) ON DELETE CASCADE,
  at timestamptz NOT NULL,
  status text NOT NULL,
  actor_id text REFERENCES staff(id)
);
CREATE INDEX concern_status_events_concern ON concern_status_events (concern_id, id);

-- Working days a county has to give the next status; 3 where none is set.
CREATE TABLE concern_feedback_limits (
  region text PRIMARY KEY REFERENCES organisations(id),
  working_days integer NOT NULL CHECK (working_days BETWEEN 1 AND 30)
);
