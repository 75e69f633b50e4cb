-- Tamper-evident logs (access log, disclosure log): one hash chain per log.
-- hash = BLAKE2b-256(prev_hash || canonical JSON of {seq, at, entry}); the
-- application computes it (server/src/disclosures/chain.ts documents the
-- encoding). Genesis prev_hash is 32 zero bytes. Entries and checkpoints are
-- append-only: triggers refuse UPDATE, DELETE and TRUNCATE.
-- Retention (purging old entries) will need a controlled exception, e.g. a
-- SECURITY DEFINER function that sets a transaction-local flag the triggers
-- honour, and only below a signed checkpoint. Not yet: nothing may delete.

CREATE TABLE audit_log_entries (
  log text NOT NULL,
  seq bigint NOT NULL CHECK (seq > 0),
  at timestamptz NOT NULL,
  entry jsonb NOT NULL,
  prev_hash bytea NOT NULL CHECK (length(prev_hash) = 32),
  hash bytea NOT NULL CHECK (length(hash) = 32),
  PRIMARY KEY (log, seq)
);
CREATE INDEX audit_log_entries_at ON audit_log_entries (log, at);

-- Ed25519 signature over canonical JSON {hash (hex), log, seq, signedAt (ISO)}.
CREATE TABLE audit_log_checkpoints (
  log text NOT NULL,
  seq bigint NOT NULL,
  hash bytea NOT NULL CHECK (length(hash) = 32),
  signed_at timestamptz NOT NULL,
  signature bytea NOT NULL CHECK (length(signature) = 64),
  PRIMARY KEY (log, seq)
);

-- The chain's tip per log. Writers lock its row (SELECT ... FOR UPDATE) so
-- concurrent writers on several nodes append one chain. Not part of the
-- evidence: verification reads only entries and checkpoints.
CREATE TABLE audit_log_heads (
  log text PRIMARY KEY,
  seq bigint NOT NULL DEFAULT 0,
  hash bytea NOT NULL DEFAULT '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea,
  checkpoint_seq bigint NOT NULL DEFAULT 0,
  checkpoint_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO audit_log_heads (log) VALUES ('access'), ('disclosure');

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_entries_append_only
  BEFORE UPDATE OR DELETE ON audit_log_entries
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_entries_no_truncate
  BEFORE TRUNCATE ON audit_log_entries
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_checkpoints_append_only
  BEFORE UPDATE OR DELETE ON audit_log_checkpoints
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_checkpoints_no_truncate
  BEFORE TRUNCATE ON audit_log_checkpoints
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
