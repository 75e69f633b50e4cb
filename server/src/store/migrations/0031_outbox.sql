-- Domain events, written in the same transaction as the change they announce:
-- one row per event and subscriber, so each subscriber is retried on its own.
-- The node that committed handles its rows at once (the fast path); any node's
-- relay handles rows left behind (that node died between commit and handling)
-- once they are due, claiming each with FOR UPDATE SKIP LOCKED and a lease.
-- Payloads hold ids and codes only, never identity codes or message text.
CREATE TABLE outbox (
  id bigserial PRIMARY KEY,
  event text NOT NULL,
  subscriber text NOT NULL,
  payload jsonb NOT NULL DEFAULT '{}',
  created_at timestamptz NOT NULL,
  -- Not before: a moment after commit (the fast path goes first), then the next retry.
  due_at timestamptz NOT NULL,
  -- The node handling the row, until the lease runs out (a node that dies mid-handler lets go).
  claimed_by text,
  claimed_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  last_error text,
  handled_at timestamptz,
  handled_by text
);
CREATE INDEX outbox_pending_due ON outbox (due_at) WHERE handled_at IS NULL;
CREATE INDEX outbox_handled_at ON outbox (handled_at) WHERE handled_at IS NOT NULL;

-- For operators: deliveries whose handler has failed and that are still being retried.
CREATE VIEW outbox_failing AS
  SELECT id, event, subscriber, created_at, attempts, last_error, due_at AS next_attempt_at
    FROM outbox WHERE handled_at IS NULL AND last_error IS NOT NULL;
