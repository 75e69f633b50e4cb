-- Which Kela insurance district serves each municipality: a request from a
-- county's staff about a client is routed by that district's rule set.
ALTER TABLE municipalities ADD COLUMN kela_district_id text REFERENCES organisations(id);
