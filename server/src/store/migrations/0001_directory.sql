-- The directory: organisations, municipalities, teams, staff, client records.
-- Client records hold a keyed hash of the henkilötunnus, never the code itself.

CREATE TABLE organisations (
  id text PRIMARY KEY,
  -- kela: the institution; kela_district: an insurance district under it;
  -- county: a wellbeing services county or the City of Helsinki.
  kind text NOT NULL CHECK (kind IN ('kela', 'kela_district', 'county')),
  parent_id text REFERENCES organisations(id),
  name_fi text NOT NULL,
  name_sv text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'kela_district') = (parent_id IS NOT NULL))
);

CREATE TABLE municipalities (
  code text PRIMARY KEY CHECK (code ~ '^[0-9]{3}$'),
  name_fi text NOT NULL,
  name_sv text NOT NULL,
  county_id text NOT NULL REFERENCES organisations(id),
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX municipalities_county ON municipalities (county_id);

CREATE TABLE teams (
  id text PRIMARY KEY,
  organisation_id text NOT NULL REFERENCES organisations(id),
  name_fi text NOT NULL,
  name_sv text NOT NULL,
  segments text[] NOT NULL DEFAULT '{}',
  languages text[] NOT NULL DEFAULT '{}',
  -- Weekly hours in Europe/Helsinki: {"mon":[["08:00","16:00"]], ...}
  hours jsonb NOT NULL DEFAULT '{}',
  -- Date exceptions: {"2026-12-24": [], "2026-12-23": [["08:00","12:00"]]}
  hour_exceptions jsonb NOT NULL DEFAULT '{}',
  -- Whether Finnish public holidays close the team (on-call teams stay open).
  closed_on_holidays boolean NOT NULL DEFAULT true,
  supervisor_id text,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX teams_org ON teams (organisation_id);

CREATE TABLE staff (
  id text PRIMARY KEY,
  organisation_id text NOT NULL REFERENCES organisations(id),
  display_name text NOT NULL,
  title_fi text,
  title_sv text,
  email text,
  username text UNIQUE,
  password_hash text,
  languages text[] NOT NULL DEFAULT '{fi}',
  segments text[] NOT NULL DEFAULT '{}',
  callback_phone text,
  active boolean NOT NULL DEFAULT true,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_org ON staff (organisation_id);

-- A person signs in through an organisation's identity provider as (provider, subject).
CREATE TABLE staff_identities (
  provider text NOT NULL,
  subject text NOT NULL,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  PRIMARY KEY (provider, subject)
);

-- Every role is scoped to an organisation.
CREATE TABLE staff_roles (
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  role text NOT NULL CHECK (role IN ('caseworker', 'liaison', 'supervisor', 'on_call', 'admin', 'auditor')),
  organisation_id text NOT NULL REFERENCES organisations(id),
  PRIMARY KEY (staff_id, role, organisation_id)
);

CREATE TABLE team_members (
  team_id text NOT NULL REFERENCES teams(id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  PRIMARY KEY (team_id, staff_id)
);
CREATE INDEX team_members_staff ON team_members (staff_id);

-- A liaison (kuntayhteyshenkilö) or named contact person for a municipality.
CREATE TABLE municipality_contacts (
  municipality_code text NOT NULL REFERENCES municipalities(code),
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('liaison', 'contact')),
  PRIMARY KEY (municipality_code, staff_id, kind)
);
CREATE INDEX municipality_contacts_staff ON municipality_contacts (staff_id);

CREATE TABLE absences (
  id text PRIMARY KEY,
  staff_id text NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  stand_in_id text REFERENCES staff(id),
  reason text CHECK (reason IN ('leave', 'sick', 'training', 'other')),
  CHECK (ends_at > starts_at),
  CHECK (stand_in_id IS NULL OR stand_in_id <> staff_id)
);
CREATE INDEX absences_staff ON absences (staff_id, ends_at);

CREATE TABLE clients (
  id text PRIMARY KEY,
  -- keyed BLAKE2b of the henkilötunnus (server key); the code itself is never stored.
  hetu_hash bytea NOT NULL UNIQUE,
  municipality_code text NOT NULL REFERENCES municipalities(code),
  language text NOT NULL DEFAULT 'fi',
  non_disclosure boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX clients_municipality ON clients (municipality_code);

CREATE TABLE client_named_workers (
  client_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  staff_id text NOT NULL REFERENCES staff(id),
  kind text NOT NULL CHECK (kind IN ('omatyontekija', 'vastuutyontekija', 'asiakkuusvastaava')),
  PRIMARY KEY (client_id, staff_id, kind)
);
CREATE INDEX client_named_workers_staff ON client_named_workers (staff_id);

CREATE TABLE kela_applications (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  benefit text NOT NULL DEFAULT 'perustoimeentulotuki',
  status text NOT NULL CHECK (status IN ('pending', 'decided', 'withdrawn')),
  handler_id text REFERENCES staff(id),
  submitted_at timestamptz NOT NULL,
  urgent boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX kela_applications_client ON kela_applications (client_id);

CREATE TABLE concern_notifications (
  id text PRIMARY KEY,
  client_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
  from_organisation_id text NOT NULL REFERENCES organisations(id),
  to_organisation_id text NOT NULL REFERENCES organisations(id),
  status text NOT NULL DEFAULT 'received'
    CHECK (status IN ('received', 'client_reached', 'client_not_reached', 'taken_charge', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX concern_notifications_client ON concern_notifications (client_id);

-- Every read of a client record, with its purpose. The disclosure-log work
-- chains these; here they are only appended.
CREATE TABLE client_access_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  actor_id text NOT NULL REFERENCES staff(id),
  actor_organisation_id text NOT NULL REFERENCES organisations(id),
  client_id text NOT NULL REFERENCES clients(id),
  action text NOT NULL,
  purpose text NOT NULL
);
CREATE INDEX client_access_events_client ON client_access_events (client_id, at);
