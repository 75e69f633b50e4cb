-- Legal bases and data categories, editable with effective dates: a change
-- adds a version from a date on, so a disclosure is always judged by the rule
-- in force when it was made. Rinki seeds the shipped set on first start
-- (disclosures/legal-bases.ts).
CREATE TABLE data_categories (
  code text PRIMARY KEY CHECK (code ~ '^[a-z0-9_]{1,60}$'),
  name_fi text NOT NULL,
  name_sv text NOT NULL
);

CREATE TABLE legal_bases (
  code text NOT NULL CHECK (code ~ '^[a-z0-9_]{1,60}$'),
  effective_from timestamptz NOT NULL,
  requires_consent boolean NOT NULL,
  allows text[] NOT NULL,
  name_fi text NOT NULL,
  name_sv text NOT NULL,
  changed_by text REFERENCES staff(id),
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (code, effective_from)
);
