// The few directory rows the sign-in tests need, written with plain SQL so
// these tests do not depend on the directory capability.
import type { Queryable } from '../store/db.ts';
import { hashPassword } from './passwords.ts';

export const PASSWORD = 'correct horse battery staple';

export const ORGS = { kela: 'kela', kelaDistrict: 'kela-south', countyA: 'county-a', countyB: 'county-b' } as const;

export const STAFF = {
  /** Active caseworker of county A with a local account and an email. */
  maija: { id: 'staff-maija', username: 'maija', email: 'maija.meikalainen@county-a.fi' },
  /** Inactive person of county A with a local account. */
  ville: { id: 'staff-ville', username: 'ville', email: 'ville@county-a.fi' },
  /** Kela benefit handler with a local account, in a Kela district. */
  kalle: { id: 'staff-kalle', username: 'kalle', email: 'kalle@kela.fi' },
  /** County B social worker: no local account, only email. */
  bea: { id: 'staff-bea', username: null, email: 'bea@county-b.fi' },
} as const;

let hashed: Promise<string> | undefined;

export async function seedAuthFixtures(q: Queryable): Promise<void> {
  hashed ??= hashPassword(PASSWORD);
  const hash = await hashed;
  await q.query(
    `INSERT INTO organisations (id, kind, parent_id, name_fi, name_sv) VALUES
       ('kela', 'kela', NULL, 'Kela', 'FPA'),
       ('kela-south', 'kela_district', 'kela', 'Etelä', 'Södra'),
       ('county-a', 'county', NULL, 'Hyvinvointialue A', 'Välfärdsområde A'),
       ('county-b', 'county', NULL, 'Hyvinvointialue B', 'Välfärdsområde B')`,
  );
  const staff = [
    [STAFF.maija, 'county-a', 'Maija Meikäläinen', true, hash],
    [STAFF.ville, 'county-a', 'Ville Virtanen', false, hash],
    [STAFF.kalle, 'kela-south', 'Kalle Kela', true, hash],
    [STAFF.bea, 'county-b', 'Bea Björk', true, null],
  ] as const;
  for (const [s, org, name, active, passwordHash] of staff) {
    await q.query(
      `INSERT INTO staff (id, organisation_id, display_name, email, username, password_hash, active)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [s.id, org, name, s.email, s.username, passwordHash, active],
    );
  }
  await q.query(
    `INSERT INTO staff_roles (staff_id, role, organisation_id) VALUES
       ('staff-maija', 'caseworker', 'county-a'),
       ('staff-ville', 'caseworker', 'county-a'),
       ('staff-kalle', 'caseworker', 'kela-south'),
       ('staff-bea', 'caseworker', 'county-b')`,
  );
}
