// Directory import: JSON or CSV, validated whole before anything is written.
// Every bad row is reported with its line (CSV line, or JSON array index + 1)
// and field; a batch with any bad row writes nothing. Upserts by natural id
// (organisation id, municipality code, team id, staff id, client by hetu hash),
// so importing the same file twice changes nothing. Rows are checked with the
// REST API's rules (docs/access-model.md, "Import"): an admin stays within the
// organisations they administer, roles follow the separation of duties, what a
// row leaves out keeps its stored value, and client rows are access-logged.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { parse as parseCsv } from 'csv-parse/sync';
import type { z } from 'zod';
import {
  IMPORT_KINDS,
  IMPORT_ROW_SCHEMAS,
  type ClientImportRow,
  type ImportIssue,
  type ImportKind,
  type ImportReport,
  type MunicipalityInput,
  type OrganisationInput,
  type StaffImportRow,
  type StaffInput,
  type StaffView,
  type TeamInput,
} from '../../../shared/src/directory.ts';
import type { Actor } from '../auth/actor.ts';
import { canAdministerOrganisation, canImportPassword } from '../auth/policies.ts';
import { hashPassword } from '../auth/passwords.ts';
import { recordAccesses, type AccessRecord } from '../disclosures/access.ts';
import type { CheckpointSigner } from '../disclosures/store.ts';
import type { Db, Queryable } from '../store/db.ts';
import { hashHetu } from './client-id.ts';
import { staffByIds, upsertStaff, upsertTeam } from './repository.ts';
import { conflictRefusal, recordRoleChanges, roleChangeRefusal, roleChanges, type RoleChange } from './roles.ts';

interface RawRow {
  line: number;
  value: unknown;
}
export type RawBatch = Partial<Record<ImportKind, RawRow[]>>;

interface Rows {
  organisations: { line: number; row: OrganisationInput }[];
  municipalities: { line: number; row: MunicipalityInput }[];
  teams: { line: number; row: TeamInput }[];
  /** staff: the person as the row leaves them (stored values for what it leaves out). */
  staff: { line: number; row: StaffImportRow; staff: StaffInput; roleChanges: RoleChange[] }[];
  clients: { line: number; row: ClientImportRow; hash: Buffer; stored?: StoredClient }[];
}

interface StoredClient {
  id: string;
  municipality_code: string;
  language: string;
  non_disclosure: boolean;
}

/**
 * Who imports: an admin through the REST API (the API's rules, within the
 * organisations they administer), or the system: operators' command line, with
 * the operator named for the logs, or the demo and test loaders.
 */
export type ImportScope = { kind: 'system'; operatorId?: string } | { kind: 'actor'; actor: Actor };

export interface ImportOptions {
  dryRun: boolean;
  scope: ImportScope;
  /** Signs the access log entries of the client rows an import by a person (admin or operator) writes. */
  signer?: CheckpointSigner;
  /** When the changes are recorded (default: now). */
  at?: Date;
  /** Override for password hashing (demo data hashes one shared password once). */
  hashPassword?: (password: string) => Promise<string>;
}

export class ImportFileError extends Error {
  constructor(readonly issues: ImportIssue[]) {
    super(issues.map((i) => `${i.kind} line ${i.line} ${i.path}: ${i.message}`).join('; '));
  }
}

// ---- reading files ----

/** The kind a CSV file holds, from its name: staff.csv, 2026-clients.csv, ... */
export function kindFromFileName(file: string): ImportKind | undefined {
  const base = path.basename(file).toLowerCase();
  return IMPORT_KINDS.find((k) => base.includes(k));
}

/**
 * A JSON document: {organisations:[], municipalities:[], teams:[], staff:[], clients:[]}
 * (any subset), or a bare array of one `kind`.
 */
export function readJson(text: string, kind?: ImportKind): RawBatch {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ImportFileError([{ kind: kind ?? 'organisations', line: 0, path: '(file)', message: `malformed JSON: ${(err as Error).message}` }]);
  }
  const rows = (arr: unknown[]) => arr.map((value, i) => ({ line: i + 1, value }));
  if (Array.isArray(doc)) {
    if (!kind) throw new ImportFileError([{ kind: 'organisations', line: 0, path: '(file)', message: 'a JSON array needs kind' }]);
    return { [kind]: rows(doc) };
  }
  if (!doc || typeof doc !== 'object') throw new ImportFileError([{ kind: kind ?? 'organisations', line: 0, path: '(file)', message: 'expected an object or an array' }]);
  const batch: RawBatch = {};
  const issues: ImportIssue[] = [];
  for (const [key, value] of Object.entries(doc)) {
    const k = IMPORT_KINDS.find((x) => x === key);
    if (!k) issues.push({ kind: kind ?? 'organisations', line: 0, path: key, message: `unknown section; expected ${IMPORT_KINDS.join(', ')}` });
    else if (kind && k !== kind) issues.push({ kind: k, line: 0, path: key, message: `kind=${kind} was asked for` });
    else if (!Array.isArray(value)) issues.push({ kind: k, line: 0, path: key, message: 'must be an array' });
    else batch[k] = rows(value);
  }
  if (issues.length) throw new ImportFileError(issues);
  return batch;
}

const BOOL_FIELDS = new Set(['active', 'closedOnHolidays', 'nonDisclosure']);
const LIST_FIELDS = new Set(['languages', 'segments', 'teamIds']);
const JSON_FIELDS = new Set(['hours', 'hourExceptions', 'applications']);
const TRUE = new Set(['true', '1', 'yes', 'kyllä', 'ja']);
const FALSE = new Set(['false', '0', 'no', 'ei', 'nej']);

/**
 * CSV cells are strings; lists are `;`-separated (languages "fi;sv"), roles are
 * "role@organisation;role" (no @: the person's own organisation), named workers
 * "staffId:kind;...", and hours/hourExceptions/applications are JSON.
 * A cell that cannot be converted stays a string, so validation names its column.
 */
function csvCell(column: string, cell: string, record: Record<string, string>): unknown {
  if (BOOL_FIELDS.has(column)) {
    const v = cell.toLowerCase();
    return TRUE.has(v) ? true : FALSE.has(v) ? false : cell;
  }
  const list = () => cell.split(';').map((x) => x.trim()).filter(Boolean);
  if (LIST_FIELDS.has(column)) return list();
  if (JSON_FIELDS.has(column)) {
    try {
      return JSON.parse(cell);
    } catch {
      return cell;
    }
  }
  if (column === 'roles')
    return list().map((g) => {
      const [role, organisationId] = g.split('@');
      return { role, organisationId: organisationId ?? record.organisationId };
    });
  if (column === 'namedWorkers')
    return list().map((w) => {
      const [staffId, kind] = w.split(':');
      return { staffId, kind };
    });
  return cell;
}

export function readCsv(text: string, kind: ImportKind): RawBatch {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parseCsv(text, { columns: true, info: true, bom: true, trim: true, skip_empty_lines: true }) as never;
  } catch (err) {
    const e = err as Error & { lines?: number };
    throw new ImportFileError([{ kind, line: e.lines ?? 0, path: '(csv)', message: e.message }]);
  }
  return {
    [kind]: records.map(({ record, info }) => {
      const value: Record<string, unknown> = {};
      for (const [column, cell] of Object.entries(record)) if (cell !== '') value[column] = csvCell(column, cell, record);
      return { line: info.lines, value };
    }),
  };
}

export function readImportFile(text: string, format: 'json' | 'csv', kind?: ImportKind): RawBatch {
  if (format === 'json') return readJson(text, kind);
  if (!kind) throw new ImportFileError([{ kind: 'organisations', line: 0, path: '(file)', message: 'a CSV file needs kind' }]);
  return readCsv(text, kind);
}

// ---- validating ----

interface Plan {
  rows: Rows;
  issues: ImportIssue[];
  counts: ImportReport['counts'];
  /** Clients of another county the rows named (real runs only): the attempt is logged. */
  heldElsewhere: string[];
}

async function plan(db: Queryable, clientIdKey: Uint8Array, batch: RawBatch, scope: ImportScope, dryRun: boolean): Promise<Plan> {
  const issues: ImportIssue[] = [];
  const issue = (kind: ImportKind, line: number, p: string, message: string) => issues.push({ kind, line, path: p, message });
  const rows: Rows = { organisations: [], municipalities: [], teams: [], staff: [], clients: [] };

  // 1. shape of each row
  for (const kind of IMPORT_KINDS) {
    const schema = IMPORT_ROW_SCHEMAS[kind] as z.ZodType<unknown>;
    for (const raw of batch[kind] ?? []) {
      const r = schema.safeParse(raw.value);
      if (!r.success) {
        for (const i of r.error.issues) issue(kind, raw.line, i.path.map(String).join('.') || '(row)', i.message);
        continue;
      }
      if (kind === 'clients') {
        const row = r.data as ClientImportRow;
        rows.clients.push({ line: raw.line, row, hash: await hashHetu(clientIdKey, row.hetu) });
      } else if (kind === 'staff') {
        // resolved against the stored person below
        rows.staff.push({ line: raw.line, row: r.data as StaffImportRow, staff: undefined as never, roleChanges: [] });
      } else (rows[kind] as { line: number; row: unknown }[]).push({ line: raw.line, row: r.data });
    }
  }

  // 2. duplicates inside the batch
  const firstSeen = <T>(kind: ImportKind, list: { line: number; row: T }[], key: (r: { line: number; row: T }) => string, p: string) => {
    const seen = new Map<string, number>();
    for (const r of list) {
      const k = key(r);
      if (seen.has(k)) issue(kind, r.line, p, `duplicate of line ${seen.get(k)}`);
      else seen.set(k, r.line);
    }
  };
  firstSeen('organisations', rows.organisations, (r) => r.row.id, 'id');
  firstSeen('municipalities', rows.municipalities, (r) => r.row.code, 'code');
  firstSeen('teams', rows.teams, (r) => r.row.id, 'id');
  firstSeen('staff', rows.staff, (r) => r.row.id, 'id');
  firstSeen('clients', rows.clients as { line: number; row: ClientImportRow & { hash?: Buffer } }[], (r) => (r as unknown as { hash: Buffer }).hash.toString('hex'), 'hetu');
  const appLines = new Map<string, number>();
  for (const c of rows.clients)
    c.row.applications.forEach((a, i) => {
      if (appLines.has(a.id)) issue('clients', c.line, `applications.${i}.id`, `duplicate of line ${appLines.get(a.id)}`);
      else appLines.set(a.id, c.line);
    });

  // 3. what exists already
  type OrgInfo = { kind: OrganisationInput['kind']; rootId: string };
  const orgs = new Map<string, OrgInfo>();
  for (const r of await db.query<{ id: string; kind: OrgInfo['kind']; root_id: string }>(
    'SELECT id, kind, COALESCE(parent_id, id) AS root_id FROM organisations',
  ))
    orgs.set(r.id, { kind: r.kind, rootId: r.root_id });
  const existingOrgIds = new Set(orgs.keys());
  for (const { row } of rows.organisations) orgs.set(row.id, { kind: row.kind, rootId: row.parentId ?? row.id });
  const rootOf = (id: string) => orgs.get(id)?.rootId;

  const countyOf = new Map<string, string>();
  for (const r of await db.query<{ code: string; county_id: string }>('SELECT code, county_id FROM municipalities'))
    countyOf.set(r.code, r.county_id);
  const existingMunicipalityCounty = new Map(countyOf);
  const existingMunicipalities = new Set(countyOf.keys());
  for (const { row } of rows.municipalities) countyOf.set(row.code, row.countyId);

  const storedStaff = new Map((await staffByIds(db, [...new Set(rows.staff.map((s) => s.row.id))])).map((s) => [s.id, s]));
  const teamIdsReferenced = [
    ...rows.teams.map((t) => t.row.id),
    ...rows.staff.flatMap((s) => [...(s.row.teamIds ?? []), ...(storedStaff.get(s.row.id)?.teamIds ?? [])]),
  ];
  const existingTeams = new Map(
    (await db.query<{ id: string; organisation_id: string }>('SELECT id, organisation_id FROM teams WHERE id = ANY($1::text[])', [
      [...new Set(teamIdsReferenced)],
    ])).map((r) => [r.id, r.organisation_id]),
  );
  const teamOrg = new Map([...existingTeams, ...rows.teams.map((t) => [t.row.id, t.row.organisationId] as const)]);

  const staffReferenced = [
    ...rows.staff.map((s) => s.row.id),
    ...(scope.kind === 'system' && scope.operatorId ? [scope.operatorId] : []),
    ...rows.teams.flatMap((t) => (t.row.supervisorId ? [t.row.supervisorId] : [])),
    ...rows.clients.flatMap((c) => [...(c.row.namedWorkers ?? []).map((w) => w.staffId), ...c.row.applications.flatMap((a) => (a.handlerId ? [a.handlerId] : []))]),
  ];
  const existingStaff = new Map(
    (await db.query<{ id: string; organisation_id: string }>('SELECT id, organisation_id FROM staff WHERE id = ANY($1::text[])', [
      [...new Set(staffReferenced)],
    ])).map((r) => [r.id, r.organisation_id]),
  );
  const staffIds = new Set([...existingStaff.keys(), ...rows.staff.map((s) => s.row.id)]);

  const usernames = rows.staff.flatMap((s) => (s.row.username ? [s.row.username] : []));
  const usernameOwners = new Map(
    usernames.length
      ? (await db.query<{ id: string; username: string }>('SELECT id, username FROM staff WHERE username = ANY($1::text[])', [usernames])).map((r) => [
          r.username,
          r.id,
        ])
      : [],
  );

  const hashes = rows.clients.map((c) => c.hash.toString('hex'));
  const existingClients = new Map(
    hashes.length
      ? (await db.query<StoredClient & { h: string }>(
          `SELECT id, encode(hetu_hash, 'hex') AS h, municipality_code, language, non_disclosure FROM clients
            WHERE hetu_hash IN (SELECT decode(x, 'hex') FROM unnest($1::text[]) AS x)`,
          [hashes],
        )).map((r) => [r.h, r])
      : [],
  );
  const appOwners = new Map(
    appLines.size
      ? (await db.query<{ id: string; h: string }>(
          `SELECT a.id, encode(c.hetu_hash, 'hex') AS h FROM kela_applications a JOIN clients c ON c.id = a.client_id WHERE a.id = ANY($1::text[])`,
          [[...appLines.keys()]],
        )).map((r) => [r.id, r.h])
      : [],
  );

  // 4. references and scope: the same rules as the REST API
  const actor = scope.kind === 'actor' ? scope.actor : undefined;
  const administers = (orgId: string) => {
    if (!actor) return true;
    const o = orgs.get(orgId);
    return !!o && canAdministerOrganisation(actor, { id: orgId, rootId: o.rootId });
  };
  const outside = 'outside the organisations you administer';
  const orgRef = (kind: ImportKind, line: number, p: string, id: string, want?: OrganisationInput['kind']) => {
    const o = orgs.get(id);
    if (!o) issue(kind, line, p, `unknown organisation ${id}`);
    else if (want && o.kind !== want) issue(kind, line, p, `${id} is not a ${want}`);
    return !!o;
  };
  if (scope.kind === 'system' && scope.operatorId && !staffIds.has(scope.operatorId))
    issue('staff', 0, '(operator)', `unknown staff ${scope.operatorId}: the operator must be a person in the directory or in this file`);

  for (const { line, row } of rows.organisations) {
    if (row.kind === 'kela_district') {
      if (!row.parentId) issue('organisations', line, 'parentId', 'a Kela district needs its parent (kind kela)');
      else orgRef('organisations', line, 'parentId', row.parentId, 'kela');
    } else if (row.parentId) issue('organisations', line, 'parentId', `only a kela_district has a parent`);
    if (!administers(row.id)) issue('organisations', line, 'id', outside);
  }
  for (const { line, row } of rows.municipalities) {
    if (orgRef('municipalities', line, 'countyId', row.countyId, 'county') && !administers(row.countyId))
      issue('municipalities', line, 'countyId', outside);
    if (row.kelaDistrictId) orgRef('municipalities', line, 'kelaDistrictId', row.kelaDistrictId, 'kela_district');
    const before = existingMunicipalityCounty.get(row.code);
    if (before && before !== row.countyId && !administers(before)) issue('municipalities', line, 'code', `municipality ${row.code} belongs to another county`);
  }
  for (const { line, row } of rows.teams) {
    if (orgRef('teams', line, 'organisationId', row.organisationId) && !administers(row.organisationId))
      issue('teams', line, 'organisationId', outside);
    const before = existingTeams.get(row.id);
    if (before && before !== row.organisationId && !administers(before)) issue('teams', line, 'id', `team ${row.id} belongs to another organisation`);
    if (row.supervisorId && !staffIds.has(row.supervisorId)) issue('teams', line, 'supervisorId', `unknown staff ${row.supervisorId}`);
  }
  const usernameLines = new Map<string, string>();
  for (const entry of rows.staff) {
    const { line, row } = entry;
    const stored = storedStaff.get(row.id);
    entry.staff = resolveStaff(row, stored);
    const { roles, teamIds } = entry.staff;
    if (orgRef('staff', line, 'organisationId', row.organisationId) && !administers(row.organisationId))
      issue('staff', line, 'organisationId', outside);
    const before = existingStaff.get(row.id);
    if (before && before !== row.organisationId && !administers(before)) issue('staff', line, 'id', `staff ${row.id} belongs to another organisation`);
    const known = roles.map((g, i) => orgRef('staff', line, `roles.${i}.organisationId`, g.organisationId)).every(Boolean);
    entry.roleChanges = roleChanges(stored?.roles ?? [], roles);
    // Grants follow the separation of duties; the operators' import may grant any role, but not admin and auditor together.
    const refusal = !known ? undefined : actor ? roleChangeRefusal(actor, row.id, entry.roleChanges, roles, rootOf) : conflictRefusal(roles, rootOf);
    if (refusal) issue('staff', line, 'roles', refusal.message);
    if (actor && row.password && !canImportPassword([...(stored?.roles ?? []), ...roles]))
      issue('staff', line, 'password', 'the import sets no password on an account that holds or receives admin or auditor; it signs in through its organisation’s identity provider, or operators set it');
    // Memberships the row adds or removes: only in teams of organisations the importer administers.
    teamIds.forEach((t, i) => {
      const org = teamOrg.get(t);
      if (!org) issue('staff', line, `teamIds.${i}`, `unknown team ${t}`);
      else if (!stored?.teamIds.includes(t) && !administers(org)) issue('staff', line, `teamIds.${i}`, `team ${t} is ${outside}`);
    });
    for (const t of stored?.teamIds ?? [])
      if (!teamIds.includes(t) && !administers(teamOrg.get(t) ?? t)) issue('staff', line, 'teamIds', `team ${t} is ${outside}; the row cannot take the person out of it`);
    if (row.username) {
      const owner = usernameOwners.get(row.username) ?? usernameLines.get(row.username);
      if (owner && owner !== row.id) issue('staff', line, 'username', `already used by ${owner}`);
      usernameLines.set(row.username, row.id);
    }
  }
  // A Kela admin works nationally; a county's admin imports the residents of their own county.
  const national = !!actor?.roles.some((g) => g.role === 'admin' && orgs.get(g.organisationId)?.kind === 'kela');
  const heldElsewhere: string[] = [];
  for (const entry of rows.clients) {
    const { line, row, hash } = entry;
    const stored = existingClients.get(hash.toString('hex'));
    entry.stored = stored;
    const county = countyOf.get(row.municipalityCode);
    if (!county) issue('clients', line, 'municipalityCode', `unknown municipality ${row.municipalityCode}`);
    else if (actor && !national && !administers(county)) issue('clients', line, 'municipalityCode', outside);
    // A client another county holds is refused, but only on the real run: a dry run answers
    // as for a new code, so it cannot tell whether a code is a client elsewhere.
    if (actor && !national && stored && !administers(existingMunicipalityCounty.get(stored.municipality_code) ?? '')) {
      if (!dryRun) {
        issue('clients', line, 'hetu', HELD_ELSEWHERE);
        heldElsewhere.push(stored.id);
      }
    }
    (row.namedWorkers ?? []).forEach((w, i) => {
      if (!staffIds.has(w.staffId)) issue('clients', line, `namedWorkers.${i}.staffId`, `unknown staff ${w.staffId}`);
    });
    row.applications.forEach((a, i) => {
      if (a.handlerId && !staffIds.has(a.handlerId)) issue('clients', line, `applications.${i}.handlerId`, `unknown staff ${a.handlerId}`);
      const owner = appOwners.get(a.id);
      if (owner && owner !== hash.toString('hex')) issue('clients', line, `applications.${i}.id`, `application ${a.id} belongs to another client`);
    });
  }

  const count = (kind: ImportKind, keys: string[], existing: { has(k: string): boolean }) => {
    if (batch[kind]) counts[kind] = { created: keys.filter((k) => !existing.has(k)).length, updated: keys.filter((k) => existing.has(k)).length };
  };
  const counts: ImportReport['counts'] = {};
  count('organisations', rows.organisations.map((r) => r.row.id), existingOrgIds);
  count('municipalities', rows.municipalities.map((r) => r.row.code), existingMunicipalities);
  count('teams', rows.teams.map((r) => r.row.id), existingTeams);
  count('staff', rows.staff.map((r) => r.row.id), existingStaff);
  // An admin's dry run does not tell new client codes from known ones.
  if (actor && dryRun && batch.clients) counts.clients = { checked: rows.clients.length };
  else count('clients', hashes, existingClients);

  issues.sort((a, b) => IMPORT_KINDS.indexOf(a.kind) - IMPORT_KINDS.indexOf(b.kind) || a.line - b.line);
  return { rows, issues, counts, heldElsewhere };
}

const HELD_ELSEWHERE = 'this client is held by another county: that county keeps the record, and nothing was imported';

/** A person as the row leaves them: what the row leaves out keeps its stored value (a new person gets the defaults). */
function resolveStaff(row: StaffImportRow, stored: StaffView | undefined): StaffInput {
  const keep = <T>(value: T | undefined, storedValue: T | null | undefined, fallback: T): T => value ?? storedValue ?? fallback;
  const { password: _password, ...given } = row;
  const optional = (v: string | null | undefined) => v ?? undefined;
  return {
    ...given,
    titleFi: optional(row.titleFi ?? stored?.titleFi),
    titleSv: optional(row.titleSv ?? stored?.titleSv),
    email: optional(row.email ?? stored?.email),
    callbackPhone: optional(row.callbackPhone ?? stored?.callbackPhone),
    languages: keep(row.languages, stored?.languages, ['fi']),
    segments: keep(row.segments, stored?.segments, []),
    active: keep(row.active, stored?.active, true),
    roles: keep(row.roles, stored?.roles, []),
    teamIds: keep(row.teamIds, stored?.teamIds, []),
  };
}

// ---- writing ----

/**
 * Who the change history and the access log name for an import, and when. The
 * demo and test loaders, which seed a fresh directory in-process, name nobody
 * and write neither; every import a person runs (REST or command line) names them.
 */
interface ImportLog {
  /** The admin or the operator. */
  importerId?: string;
  at: Date;
  signer?: CheckpointSigner;
}

/** One access event per client, in the import's transaction, in the importer's name. */
async function logClientAccess(q: Queryable, log: ImportLog, clientIds: string[], action: string): Promise<void> {
  if (!log.importerId || !clientIds.length) return;
  if (!log.signer) throw new Error('an import by a person writes access events: pass the audit signer');
  const [who] = await q.query<{ organisation_id: string }>('SELECT organisation_id FROM staff WHERE id = $1', [log.importerId]);
  const records: AccessRecord[] = clientIds.map((clientId) => ({
    actorId: log.importerId!,
    actorOrganisationId: who.organisation_id,
    clientId,
    action,
    purpose: 'directory_import',
    at: log.at,
  }));
  await recordAccesses(q, records, log.signer);
}

async function write(q: Queryable, rows: Rows, passwordHashes: Map<string, string>, log: ImportLog): Promise<void> {
  // Kela before its districts.
  const orgRows = [...rows.organisations].sort((a, b) => Number(!!a.row.parentId) - Number(!!b.row.parentId));
  for (const { row: o } of orgRows)
    await q.query(
      `INSERT INTO organisations (id, kind, parent_id, name_fi, name_sv) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (id) DO UPDATE SET kind = EXCLUDED.kind, parent_id = EXCLUDED.parent_id, name_fi = EXCLUDED.name_fi,
         name_sv = EXCLUDED.name_sv, updated_at = now()`,
      [o.id, o.kind, o.parentId ?? null, o.nameFi, o.nameSv],
    );
  if (rows.municipalities.length) {
    const m = rows.municipalities.map((r) => r.row);
    await q.query(
      `INSERT INTO municipalities (code, name_fi, name_sv, county_id, kela_district_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       ON CONFLICT (code) DO UPDATE SET name_fi = EXCLUDED.name_fi, name_sv = EXCLUDED.name_sv, county_id = EXCLUDED.county_id,
         kela_district_id = EXCLUDED.kela_district_id, updated_at = now()`,
      [m.map((x) => x.code), m.map((x) => x.nameFi), m.map((x) => x.nameSv), m.map((x) => x.countyId), m.map((x) => x.kelaDistrictId ?? null)],
    );
  }
  for (const { row } of rows.teams) await upsertTeam(q, row);
  for (const { row, staff, roleChanges: changes } of rows.staff) {
    await upsertStaff(q, staff, passwordHashes.get(row.id));
    if (log.importerId) await recordRoleChanges(q, log.importerId, log.at, row.id, changes);
  }
  if (rows.clients.length) {
    const c = rows.clients;
    const ids = (
      await q.query<{ id: string }>(
        `INSERT INTO clients (id, hetu_hash, municipality_code, language, non_disclosure)
         SELECT id, decode(h, 'hex'), m, l, nd FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bool[]) AS x(id, h, m, l, nd)
         ON CONFLICT (hetu_hash) DO UPDATE SET municipality_code = EXCLUDED.municipality_code, language = EXCLUDED.language,
           non_disclosure = EXCLUDED.non_disclosure, updated_at = now()
         RETURNING id, encode(hetu_hash, 'hex') AS h`,
        [
          c.map(() => randomUUID()),
          c.map((x) => x.hash.toString('hex')),
          c.map((x) => x.row.municipalityCode),
          c.map((x) => x.row.language ?? x.stored?.language ?? 'fi'),
          c.map((x) => x.row.nonDisclosure ?? x.stored?.non_disclosure ?? false),
        ],
      )
    ).reduce((m, r) => m.set((r as unknown as { h: string }).h, r.id), new Map<string, string>());
    const clientId = (x: (typeof c)[number]) => ids.get(x.hash.toString('hex'))!;
    // Named workers are replaced only where the row lists them (an empty list clears them).
    const listed = c.filter((x) => x.row.namedWorkers);
    await q.query('DELETE FROM client_named_workers WHERE client_id = ANY($1::text[])', [listed.map(clientId)]);
    const workers = listed.flatMap((x) => x.row.namedWorkers!.map((w) => [clientId(x), w.staffId, w.kind]));
    if (workers.length)
      await q.query(
        `INSERT INTO client_named_workers (client_id, staff_id, kind) SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) ON CONFLICT DO NOTHING`,
        [workers.map((w) => w[0]), workers.map((w) => w[1]), workers.map((w) => w[2])],
      );
    // Applications not in the file are left alone: the import adds and updates, it does not decide.
    const apps = c.flatMap((x) => x.row.applications.map((a) => ({ ...a, clientId: clientId(x) })));
    if (apps.length)
      await q.query(
        `INSERT INTO kela_applications (id, client_id, benefit, status, handler_id, submitted_at, urgent)
         SELECT id, cid, b, s, h, t::timestamptz, u FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bool[])
           AS x(id, cid, b, s, h, t, u)
         ON CONFLICT (id) DO UPDATE SET benefit = EXCLUDED.benefit, status = EXCLUDED.status, handler_id = EXCLUDED.handler_id,
           submitted_at = EXCLUDED.submitted_at, urgent = EXCLUDED.urgent, updated_at = now()`,
        [
          apps.map((a) => a.id),
          apps.map((a) => a.clientId),
          apps.map((a) => a.benefit),
          apps.map((a) => a.status),
          apps.map((a) => a.handlerId ?? null),
          apps.map((a) => a.submittedAt),
          apps.map((a) => a.urgent),
        ],
      );
    await logClientAccess(q, log, [...new Set(ids.values())], 'client.import');
  }
}

/**
 * Validate a batch whole; unless it is a dry run and only when every row is
 * valid, write it in one transaction. Client rows an admin or operator writes
 * are in the access log; so are the clients of another county a real run was refused.
 */
export async function importDirectory(
  db: Db,
  clientIdKey: Uint8Array,
  batch: RawBatch,
  opts: ImportOptions,
): Promise<ImportReport> {
  const { rows, issues, counts, heldElsewhere } = await plan(db, clientIdKey, batch, opts.scope, opts.dryRun);
  const log: ImportLog = {
    importerId: opts.scope.kind === 'actor' ? opts.scope.actor.staffId : opts.scope.operatorId,
    at: opts.at ?? new Date(),
    signer: opts.signer,
  };
  if (heldElsewhere.length) await db.tx((q) => logClientAccess(q, log, heldElsewhere, 'client.import.refused'));
  if (issues.length || opts.dryRun) return { dryRun: opts.dryRun, ok: issues.length === 0, counts: issues.length ? {} : counts, issues };
  // Argon2id is slow: hash only rows that carry a password, before the transaction.
  const hash = opts.hashPassword ?? hashPassword;
  const passwordHashes = new Map<string, string>();
  for (const { row } of rows.staff) if (row.password) passwordHashes.set(row.id, await hash(row.password));
  await db.tx((q) => write(q, rows, passwordHashes, log));
  return { dryRun: false, ok: true, counts, issues: [] };
}
