-- A counter that every change to the routing-relevant directory raises, in
-- the same transaction as the change. Each node keeps the directory in memory
-- for routing (directory/snapshot.ts) and reloads it when the counter moved,
-- so an import, an absence or a team change made on any node, by the import
-- command or by hand in SQL is seen by the very next routing decision.
CREATE TABLE directory_version (
  id boolean PRIMARY KEY DEFAULT true CHECK (id),
  version bigint NOT NULL
);
INSERT INTO directory_version (version) VALUES (1);

CREATE FUNCTION directory_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE directory_version SET version = version + 1;
  RETURN NULL;
END;
$$;

CREATE TRIGGER organisations_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON organisations FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER municipalities_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipalities FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER teams_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER staff_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON staff FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER staff_roles_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON staff_roles FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER team_members_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON team_members FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER municipality_contacts_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON municipality_contacts FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
CREATE TRIGGER absences_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON absences FOR EACH STATEMENT EXECUTE FUNCTION directory_version_bump();
