-- Logs no one can rewrite. Every table the 11 § client report reads is
-- append-only: the hash chain (audit_log_entries, audit_log_checkpoints) and
-- its queryable copies (client_access_events, disclosures). Triggers refuse
-- UPDATE, DELETE and TRUNCATE. The one exception is the retention purge,
-- audit_purge(): it runs as the owner of these tables (SECURITY DEFINER) and
-- sets a transaction-local flag for its own deletes, and the triggers honour
-- the flag only when the current user owns the table. An application role
-- that is not the owner (README: two roles) gets no UPDATE, DELETE or
-- TRUNCATE on these tables, and setting the flag by hand gives it nothing.
-- With one role (PGlite, or PostgreSQL without DATABASE_OWNER_URL) that role
-- is the owner: the triggers and the chain are the protection.

CREATE OR REPLACE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('rinki.audit_purge', true) = 'on'
     AND current_user = (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = TG_RELID) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER client_access_events_append_only
  BEFORE UPDATE OR DELETE ON client_access_events
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER client_access_events_no_truncate
  BEFORE TRUNCATE ON client_access_events
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER disclosures_no_truncate
  BEFORE TRUNCATE ON disclosures
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- The shortest retention audit_purge() accepts: two years, the period the
-- 11 § report covers. Only the owner can change it (CREATE OR REPLACE).
CREATE FUNCTION audit_min_retention_days() RETURNS integer LANGUAGE sql STABLE AS 'SELECT 730';

-- Purges one log's entries older than keep_days (by the database's clock) in
-- a whole prefix ending at a signed checkpoint, so what remains verifies from
-- that checkpoint; the rows of client_access_events or disclosures of the
-- purged entries go with them. Checkpoints stay: they anchor the rest.
CREATE FUNCTION audit_purge(purge_log text, keep_days integer)
RETURNS TABLE (purged_through bigint, entries bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
  cutoff timestamptz;
  through bigint;
  gone bigint;
BEGIN
  IF purge_log IS NULL OR purge_log NOT IN ('access', 'disclosure') THEN
    RAISE EXCEPTION 'audit_purge: no log %', purge_log USING ERRCODE = 'invalid_parameter_value';
  END IF;
  IF keep_days IS NULL OR keep_days < public.audit_min_retention_days() THEN
    RAISE EXCEPTION 'audit_purge: logs are kept at least % days; % refused', public.audit_min_retention_days(), keep_days
      USING ERRCODE = 'invalid_parameter_value';
  END IF;
  cutoff := now() - make_interval(days => keep_days);
  -- The newest checkpoint (of an entry still there) below the first entry at
  -- or after the cut-off: every entry up to it is older than the period.
  SELECT max(c.seq) INTO through
    FROM public.audit_log_checkpoints c
    JOIN public.audit_log_entries e ON e.log = c.log AND e.seq = c.seq
   WHERE c.log = purge_log
     AND c.seq < coalesce((SELECT min(n.seq) FROM public.audit_log_entries n WHERE n.log = purge_log AND n.at >= cutoff), 9223372036854775807);
  IF through IS NULL THEN
    RETURN QUERY SELECT NULL::bigint, 0::bigint;
    RETURN;
  END IF;
  PERFORM set_config('rinki.audit_purge', 'on', true);
  IF purge_log = 'access' THEN
    DELETE FROM public.client_access_events a
     USING public.audit_log_entries e
     WHERE e.log = 'access' AND e.seq <= through
       AND coalesce(e.entry_text::jsonb, e.entry)->>'type' = 'client_access'
       AND to_jsonb(a.id) = coalesce(e.entry_text::jsonb, e.entry)->'eventId';
  ELSE
    DELETE FROM public.disclosures WHERE chain_seq <= through;
  END IF;
  DELETE FROM public.audit_log_entries WHERE log = purge_log AND seq <= through;
  GET DIAGNOSTICS gone = ROW_COUNT;
  PERFORM set_config('rinki.audit_purge', '', true);
  RETURN QUERY SELECT through, gone;
END;
$$;
REVOKE ALL ON FUNCTION audit_purge(text, integer) FROM PUBLIC;

-- Grants for the application role of a two-role setup (migrate() calls it as
-- the owner after every migration run, so new tables are covered): read and
-- write on every table, except that tables with the append-only trigger get
-- only SELECT and INSERT, and schema_migrations only SELECT; the purge by
-- audit_purge() alone.
CREATE FUNCTION rinki_grant_application_role(app name) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  t record;
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', app);
  FOR t IN
    SELECT c.relname,
           EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid AND g.tgfoid = 'audit_log_refuse_change'::regproc) AS append_only
      FROM pg_class c
     WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
  LOOP
    EXECUTE format('REVOKE ALL ON %I FROM %I', t.relname, app);
    IF t.relname = 'schema_migrations' THEN
      EXECUTE format('GRANT SELECT ON %I TO %I', t.relname, app);
    ELSIF t.append_only THEN
      EXECUTE format('GRANT SELECT, INSERT ON %I TO %I', t.relname, app);
    ELSE
      EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I TO %I', t.relname, app);
    END IF;
  END LOOP;
  EXECUTE format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO %I', app);
  EXECUTE format('GRANT EXECUTE ON FUNCTION audit_purge(text, integer) TO %I', app);
END;
$$;
REVOKE ALL ON FUNCTION rinki_grant_application_role(name) FROM PUBLIC;
