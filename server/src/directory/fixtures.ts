// A small directory for tests of any capability, made through the import path:
// Kela with two districts, two counties (A and B) with municipalities, teams,
// staff with each role, and (given the client-id key) two clients.
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import type { Db, Queryable } from '../store/db.ts';
import { importDirectory, type RawBatch } from './import.ts';
import { clientIdByHetuHash } from './repository.ts';
import { hashHetu } from './client-id.ts';

const weekdays = Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [['08:00', '16:00']]]));

export const FIXTURE = {
  orgs: { kela: 'kela', kelaSouth: 'kela-south', kelaWest: 'kela-west', countyA: 'county-a', countyB: 'county-b' },
  municipalities: { a1: '991', a2: '992', b1: '993' },
  teams: { kelaSouth: 'kela-south-team', kelaWestSwedish: 'kela-west-sv', countyA: 'county-a-team', countyB: 'county-b-team' },
  staff: {
    kelaWorker: 'kela-worker',
    kelaHandler: 'kela-handler',
    kelaLiaison: 'kela-liaison',
    kelaAdmin: 'kela-admin',
    kelaSupervisor: 'kela-supervisor',
    kelaSwedish: 'kela-swedish',
    auditor: 'kela-auditor',
    countyAWorker: 'county-a-worker',
    countyAContact: 'county-a-contact',
    countyAAdmin: 'county-a-admin',
    countyAOnCall: 'county-a-on-call',
    countyBWorker: 'county-b-worker',
    countyBAdmin: 'county-b-admin',
  },
  applications: { clientA: 'app-a-1' },
  /** Fictional codes (individual number 900–999). */
  hetus: { clientA: fictionalHetu('1985-03-14', 1), clientB: fictionalHetu('1990-11-02', 2) },
} as const;

export interface OrgFixture {
  orgs: typeof FIXTURE.orgs;
  municipalities: typeof FIXTURE.municipalities;
  teams: typeof FIXTURE.teams;
  staff: typeof FIXTURE.staff;
  applications: typeof FIXTURE.applications;
  /** Present when keys were given. */
  clients?: { a: { id: string; hetu: string }; b: { id: string; hetu: string } };
}

export function fixtureBatch(withClients: boolean): RawBatch {
  const { orgs, municipalities: m, teams: t, staff: s } = FIXTURE;
  const rows = (list: unknown[]) => list.map((value, i) => ({ line: i + 1, value }));
  const person = (id: string, organisationId: string, displayName: string, roles: string[], extra: Record<string, unknown> = {}) => ({
    id,
    organisationId,
    displayName,
    roles: roles.map((r) => (r.includes('@') ? { role: r.split('@')[0], organisationId: r.split('@')[1] } : { role: r, organisationId })),
    ...extra,
  });
  return {
    organisations: rows([
      { id: orgs.kela, kind: 'kela', nameFi: 'Kela', nameSv: 'FPA' },
      { id: orgs.kelaSouth, kind: 'kela_district', parentId: orgs.kela, nameFi: 'Testi etelä', nameSv: 'Test syd' },
      { id: orgs.kelaWest, kind: 'kela_district', parentId: orgs.kela, nameFi: 'Testi länsi', nameSv: 'Test väst' },
      { id: orgs.countyA, kind: 'county', nameFi: 'Testi A hyvinvointialue', nameSv: 'Test A välfärdsområde' },
      { id: orgs.countyB, kind: 'county', nameFi: 'Testi B hyvinvointialue', nameSv: 'Test B välfärdsområde' },
    ]),
    municipalities: rows([
      { code: m.a1, nameFi: 'Akylä', nameSv: 'Aby', countyId: orgs.countyA, kelaDistrictId: orgs.kelaSouth },
      { code: m.a2, nameFi: 'Aala', nameSv: 'Aala', countyId: orgs.countyA },
      { code: m.b1, nameFi: 'Bekylä', nameSv: 'Bby', countyId: orgs.countyB, kelaDistrictId: orgs.kelaWest },
    ]),
    teams: rows([
      { id: t.kelaSouth, organisationId: orgs.kelaSouth, nameFi: 'Etelä tiimi', nameSv: 'Syd team', segments: ['toimeentulotuki'], languages: ['fi'], hours: weekdays, supervisorId: s.kelaSupervisor },
      { id: t.kelaWestSwedish, organisationId: orgs.kelaWest, nameFi: 'Ruotsinkielinen tiimi', nameSv: 'Svenskspråkigt team', languages: ['sv'], hours: weekdays },
      { id: t.countyA, organisationId: orgs.countyA, nameFi: 'A aikuissosiaalityö', nameSv: 'A vuxensocialarbete', hours: weekdays },
      { id: t.countyB, organisationId: orgs.countyB, nameFi: 'B aikuissosiaalityö', nameSv: 'B vuxensocialarbete', hours: weekdays },
    ]),
    staff: rows([
      person(s.kelaWorker, orgs.kelaSouth, 'Kaisa Kelalainen', ['caseworker'], { teamIds: [t.kelaSouth] }),
      person(s.kelaHandler, orgs.kelaSouth, 'Heikki Käsittelijä', ['caseworker'], { teamIds: [t.kelaSouth] }),
      person(s.kelaLiaison, orgs.kelaSouth, 'Liisa Yhteyshenkilö', ['liaison', 'caseworker'], { teamIds: [t.kelaSouth] }),
      person(s.kelaSupervisor, orgs.kelaSouth, 'Esa Esihenkilö', ['supervisor'], { teamIds: [t.kelaSouth] }),
      person(s.kelaSwedish, orgs.kelaWest, 'Sara Svensson', ['caseworker'], { languages: ['sv', 'fi'], teamIds: [t.kelaWestSwedish] }),
      person(s.kelaAdmin, orgs.kela, 'Aki Ylläpitäjä', ['admin']),
      person(s.auditor, orgs.kela, 'Aino Auditoija', ['auditor']),
      person(s.countyAWorker, orgs.countyA, 'Anna Sosiaalityöntekijä', ['caseworker'], { teamIds: [t.countyA] }),
      person(s.countyAContact, orgs.countyA, 'Antti Yhteyshenkilö', ['caseworker', 'liaison'], { teamIds: [t.countyA] }),
      person(s.countyAAdmin, orgs.countyA, 'Aada Ylläpitäjä', ['admin']),
      person(s.countyAOnCall, orgs.countyA, 'Arto Päivystäjä', ['on_call', 'caseworker'], { teamIds: [t.countyA] }),
      person(s.countyBWorker, orgs.countyB, 'Bertta Sosiaaliohjaaja', ['caseworker'], { teamIds: [t.countyB] }),
      person(s.countyBAdmin, orgs.countyB, 'Bruno Ylläpitäjä', ['admin']),
    ]),
    ...(withClients
      ? {
          clients: rows([
            {
              hetu: FIXTURE.hetus.clientA,
              municipalityCode: m.a1,
              namedWorkers: [{ staffId: s.countyAWorker, kind: 'omatyontekija' }],
              applications: [{ id: FIXTURE.applications.clientA, handlerId: s.kelaHandler, submittedAt: '2026-01-05T09:00:00Z' }],
            },
            { hetu: FIXTURE.hetus.clientB, municipalityCode: m.b1, language: 'sv', nonDisclosure: true },
          ]),
        }
      : {}),
  };
}

/** Builds the fixture directory in `db`. Pass the server's keys to get client records too. */
export async function makeOrgFixture(db: Db, keys?: { clientIdKey: Uint8Array }): Promise<OrgFixture> {
  const report = await importDirectory(db, keys?.clientIdKey ?? new Uint8Array(32), fixtureBatch(!!keys), {
    dryRun: false,
    scope: { kind: 'system' },
  });
  if (!report.ok) throw new Error(`fixture import failed: ${JSON.stringify(report.issues)}`);
  const { orgs, municipalities, teams, staff, applications } = FIXTURE;
  await db.query(`INSERT INTO municipality_contacts (municipality_code, staff_id, kind) VALUES ($1, $2, 'liaison'), ($1, $3, 'contact') ON CONFLICT DO NOTHING`, [
    municipalities.a1,
    staff.kelaLiaison,
    staff.countyAContact,
  ]);
  const fixture: OrgFixture = { orgs, municipalities, teams, staff, applications };
  if (keys) {
    const id = async (hetu: string) => (await clientIdByHetuHash(db, await hashHetu(keys.clientIdKey, hetu)))!;
    fixture.clients = {
      a: { id: await id(FIXTURE.hetus.clientA), hetu: FIXTURE.hetus.clientA },
      b: { id: await id(FIXTURE.hetus.clientB), hetu: FIXTURE.hetus.clientB },
    };
  }
  return fixture;
}

/** Every text, JSON, array and bytea value of every table as text: tests prove a code is not stored. */
export async function dumpDatabaseText(q: Queryable): Promise<string> {
  const cols = await q.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns
      WHERE table_schema = 'public' AND data_type IN ('text', 'bytea', 'json', 'jsonb', 'ARRAY', 'character varying')`,
  );
  const parts: string[] = [];
  for (const c of cols) {
    const rows = await q.query<{ v: string | null }>(`SELECT "${c.column_name}"::text AS v FROM "${c.table_name}"`);
    for (const r of rows) if (r.v) parts.push(r.v);
    // bytea also as raw bytes, in case something stored the code's bytes
    if (c.data_type === 'bytea') {
      const raw = await q.query<{ v: string | null }>(`SELECT encode("${c.column_name}", 'escape') AS v FROM "${c.table_name}"`);
      for (const r of raw) if (r.v) parts.push(r.v);
    }
  }
  return parts.join('\n');
}
