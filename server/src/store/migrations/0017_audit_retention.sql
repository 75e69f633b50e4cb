-- Retention: the log tables stay append-only, except for a purge that sets
-- the transaction-local flag rinki.audit_purge (disclosures/retention.ts). It
-- deletes only whole prefixes ending at a signed checkpoint, so what remains
-- still verifies from that checkpoint with the public key alone.
CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('rinki.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
