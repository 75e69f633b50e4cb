-- Consents and disclosure records. A disclosure row is the queryable copy of
-- an entry in the 'disclosure' hash chain (audit_log_entries), written in the
-- same transaction; the chain is the evidence, this table answers "to whom
-- was this client's data disclosed, and on what basis".
CREATE TABLE consents (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES clients(id),
  -- Who gave it: the client, a guardian, or someone holding a power of attorney.
  given_by text NOT NULL CHECK (given_by IN ('client', 'guardian', 'attorney')),
  method text NOT NULL CHECK (method IN ('present', 'written', 'oral')),
  given_at timestamptz NOT NULL,
  -- The data categories it covers.
  categories text[] NOT NULL CHECK (cardinality(categories) > 0),
  expires_at timestamptz,
  withdrawn_at timestamptz,
  recorded_by text NOT NULL REFERENCES staff(id),
  recorded_organisation_id text NOT NULL REFERENCES organisations(id),
  recorded_at timestamptz NOT NULL,
  CHECK (expires_at IS NULL OR expires_at > given_at)
);
CREATE INDEX consents_client ON consents (client_id);

CREATE TABLE disclosures (
  id text PRIMARY KEY,
  at timestamptz NOT NULL,
  discloser_id text NOT NULL REFERENCES staff(id),
  discloser_organisation_id text NOT NULL REFERENCES organisations(id),
  -- [{staffId?, organisationId}]
  recipients jsonb NOT NULL,
  client_id text NOT NULL REFERENCES clients(id),
  categories text[] NOT NULL,
  basis text NOT NULL,
  consent_id text REFERENCES consents(id),
  conference_id text,
  routing_request_id text,
  chain_seq bigint NOT NULL
);
CREATE INDEX disclosures_client ON disclosures (client_id, at);

-- Append-only like the chain itself.
CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE ON disclosures
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
