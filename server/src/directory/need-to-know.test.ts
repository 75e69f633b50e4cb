// Need to know on the demo data (docs/access-model.md): a client record is
// read only with a task relation that allows the purpose, or as an emergency
// read with a reason; refused reads are logged and answer 404; nothing locates
// a turvakielto client outside the central team; stand-ins stay in their own
// organisation.
import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { apiTokenFor, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { apiCaller } from '../../../tests/helpers/api.ts';
import { fictionalHetu } from '../../../shared/src/hetu.ts';
import { parseConfig, ConfigError } from '../config.ts';
import { DEMO_CLIENTS, demoClientHetu } from './demo-data.ts';
import { hashHetu } from './client-id.ts';
import { clientIdByHetuHash } from './repository.ts';

type Body = Record<string, unknown> & { municipality?: unknown; county?: unknown };

describe('need to know: client reads on the demo data', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  const tokens: Record<string, string> = {};
  const call = apiCaller<Body>(() => rinki, tokens);
  const [eksote, keusote] = DEMO_CLIENTS;
  /** A turvakielto client with a named worker in its county. */
  let secret: { hetu: string; id: string; namedWorker: string };
  const people = ['kela.kasittelija', 'kela.admin', 'eksote.admin', 'auditor', 'eksote.sosiaalityontekija', 'keusote.sosiaalityontekija', 'kela-lantinen-turva-1', 'kela-etelainen-4', 'pohjanmaa-granskare'];

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { DEMO_DATA: 'true' } });
    for (const id of people) tokens[id] = await apiTokenFor(rinki, id);
    for (let i = 49; i < 1000; i += 50) {
      const id = (await clientIdByHetuHash(rinki.deps.db, await hashHetu(rinki.deps.keys.clientIdKey, demoClientHetu(i))))!;
      const [w] = await rinki.deps.db.query<{ staff_id: string }>('SELECT staff_id FROM client_named_workers WHERE client_id = $1', [id]);
      if (w) {
        secret = { hetu: demoClientHetu(i), id, namedWorker: w.staff_id };
        break;
      }
    }
    tokens[secret.namedWorker] ??= await apiTokenFor(rinki, secret.namedWorker);
  });
  after(() => rinki.cleanup());

  const lookup = (staffId: string, body: Record<string, unknown>) => call(staffId, 'POST', '/api/clients/lookup', body);
  const lastAccess = async () => (await rinki.deps.db.query<Record<string, unknown>>('SELECT * FROM client_access_events ORDER BY id DESC LIMIT 1'))[0];
  const accessCount = async () => (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM client_access_events'))[0].n;
  const idOf = async (hetu: string) => (await clientIdByHetuHash(rinki.deps.db, await hashHetu(rinki.deps.keys.clientIdKey, hetu)))!;

  describe('a task relation', () => {
    it('lets the handler of the pending application read (the README example), and logs client.read', async () => {
      const res = await lookup('kela.kasittelija', { hetu: eksote.hetu, purpose: 'case_handling' });
      expect(res.status).to.equal(200);
      expect(res.body.pendingApplications).to.have.length(1);
      expect(await lastAccess()).to.include({ actor_id: 'kela.kasittelija', action: 'client.read', purpose: 'case_handling' });
    });

    it('refuses a Kela worker reading a client they have no task with: 404 like a missing client, logged as client.read.refused', async () => {
      const before = await accessCount();
      const res = await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'case_handling' });
      expect(res.status).to.equal(404);
      const missing = await lookup('kela.kasittelija', { hetu: fictionalHetu('1970-07-07', 50), purpose: 'case_handling' });
      expect(missing.status).to.equal(404);
      expect(res.body).to.deep.equal(missing.body);
      expect(missing.body).to.include({ error: 'unknown_client' });
      expect(await accessCount()).to.equal(before + 1);
      expect(await lastAccess()).to.include({ actor_id: 'kela.kasittelija', client_id: await idOf(keusote.hetu), action: 'client.read.refused', purpose: 'case_handling' });
    });

    it('refuses a county worker reading a resident of their county without a relation', async () => {
      const [row] = await rinki.deps.db.query<{ id: string }>(
        `SELECT c.id FROM clients c JOIN municipalities m ON m.code = c.municipality_code
          WHERE m.county_id = 'keusote' AND NOT c.non_disclosure AND NOT EXISTS (SELECT 1 FROM client_named_workers w WHERE w.client_id = c.id AND w.staff_id = 'keusote.sosiaalityontekija') LIMIT 1`,
      );
      let hetu = '';
      for (let i = 1; i < 1000 && !hetu; i += 3) if ((await idOf(demoClientHetu(i))) === row.id) hetu = demoClientHetu(i);
      expect((await lookup('keusote.sosiaalityontekija', { hetu, purpose: 'case_handling' })).status).to.equal(404);
      expect(await lastAccess()).to.include({ action: 'client.read.refused' });
      // Their own named client is readable.
      expect((await lookup('keusote.sosiaalityontekija', { hetu: keusote.hetu, purpose: 'case_handling' })).status).to.equal(200);
    });

    it('takes the purpose from the relation, not from the caller: a handler may not declare audit', async () => {
      expect((await lookup('kela.kasittelija', { hetu: eksote.hetu, purpose: 'audit' })).status).to.equal(404);
      expect(await lastAccess()).to.include({ action: 'client.read.refused', purpose: 'audit' });
    });

    it('lets people the published rules would ring read for routing only', async () => {
      // The default rules ring Kela's social-assistance staff (segment toimeentulotuki) when a county asks.
      expect((await lookup('kela-etelainen-4', { hetu: eksote.hetu, purpose: 'routing' })).status).to.equal(200);
      expect((await lookup('kela-etelainen-4', { hetu: eksote.hetu, purpose: 'case_handling' })).status).to.equal(404);
    });

    it('refuses admin-only and auditor-only accounts with 403 before any lookup', async () => {
      for (const who of ['kela.admin', 'eksote.admin', 'auditor']) {
        const res = await lookup(who, { hetu: eksote.hetu, purpose: 'case_handling' });
        expect(res.status, who).to.equal(403);
      }
    });
  });

  describe('relations that end', () => {
    const ring = async (endedAt: Date | null) => {
      const id = randomUUID();
      await rinki.deps.db.query(
        `INSERT INTO routing_requests (id, requester_id, requester_organisation_id, requester_organisation_kind, client_id, request_type, urgency, basis, state,
           rule_set_region, final, accepted_by, created_at, ended_at)
         VALUES ($1, 'keusote.sosiaalityontekija', 'keusote', 'county', $2, 'konsultaatio', 'normal', 'sosiaalihuoltolaki_41', $3, 'default', '{}', 'kela.kasittelija', $4, $5)`,
        [id, await idOf(keusote.hetu), endedAt ? 'accepted' : 'ringing', endedAt ?? new Date(), endedAt],
      );
      return id;
    };

    it('a person who accepted a ring reads the client while it is open and for ACCESS_AFTER_REQUEST_DAYS after, not for good', async () => {
      const day = 86_400_000;
      const now = rinki.deps.clock.now().getTime();
      expect((await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'case_handling' })).status).to.equal(404);
      const open = await ring(null);
      expect((await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'case_handling' })).status).to.equal(200);
      await rinki.deps.db.query('UPDATE routing_requests SET ended_at = $2, state = $3 WHERE id = $1', [open, new Date(now - 29 * day), 'accepted']);
      expect((await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'case_handling' })).status).to.equal(200);
      await rinki.deps.db.query('UPDATE routing_requests SET ended_at = $2 WHERE id = $1', [open, new Date(now - 31 * day)]);
      expect((await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'case_handling' })).status).to.equal(404);
    });

    it('validates ACCESS_AFTER_REQUEST_DAYS', () => {
      expect(parseConfig({}).accessAfterRequestMs).to.equal(30 * 86_400_000);
      expect(parseConfig({ ACCESS_AFTER_REQUEST_DAYS: '7' }).accessAfterRequestMs).to.equal(7 * 86_400_000);
      for (const bad of ['-1', 'soon', '1.5']) expect(() => parseConfig({ ACCESS_AFTER_REQUEST_DAYS: bad }), bad).to.throw(ConfigError, /ACCESS_AFTER_REQUEST_DAYS/);
    });
  });

  describe('emergency access ("break the glass")', () => {
    const reason = 'Asiakas soittaa, hätämajoitus tänä yönä, käsittelijä ei tavoitettavissa';

    it('refuses a missing, short or identity-code-holding reason with 400 and writes nothing', async () => {
      const before = await accessCount();
      for (const [body, path] of [
        [{ hetu: keusote.hetu, purpose: 'emergency' }, 'body.reason'],
        [{ hetu: keusote.hetu, purpose: 'emergency', reason: 'kiire' }, 'body.reason'],
        [{ hetu: keusote.hetu, purpose: 'emergency', reason: `asiakas ${keusote.hetu} soitti ja tarvitsee apua` }, 'body.reason'],
        [{ hetu: keusote.hetu, purpose: 'emergency', reason: `asiakas ${keusote.hetu.toLowerCase()} soitti ja tarvitsee apua` }, 'body.reason'],
      ] as const) {
        const res = await lookup('kela.kasittelija', body);
        expect(res.status, JSON.stringify(body)).to.equal(400);
        expect((res.body.issues as { path: string }[]).map((i) => i.path)).to.include(path);
        expect(JSON.stringify(res.body)).not.to.contain(keusote.hetu);
      }
      expect(await accessCount()).to.equal(before);
    });

    it('reads without a relation, logs client.read.emergency with the reason, and lists it to the auditor of the reader’s organisation only', async () => {
      const res = await lookup('kela.kasittelija', { hetu: keusote.hetu, purpose: 'emergency', reason });
      expect(res.status).to.equal(200);
      expect(await lastAccess()).to.include({ actor_id: 'kela.kasittelija', action: 'client.read.emergency', purpose: `emergency: ${reason}` });
      const listed = await call('auditor', 'GET', '/api/audit/emergency-access');
      expect(listed.status).to.equal(200);
      const rows = listed.body as unknown as { clientId: string; reason: string; action: string; reader: { staffId: string } }[];
      expect(rows[0]).to.deep.include({ clientId: await idOf(keusote.hetu), reason, action: 'client.read.emergency' });
      expect(rows[0].reader.staffId).to.equal('kela.kasittelija');
      // Pohjanmaa's auditor answers for Pohjanmaa's staff only.
      const other = await call('pohjanmaa-granskare', 'GET', '/api/audit/emergency-access');
      expect(other.status).to.equal(200);
      expect(other.body).to.deep.equal([]);
      // Nobody but an auditor lists them.
      for (const who of ['kela.kasittelija', 'kela.admin']) expect((await call(who, 'GET', '/api/audit/emergency-access')).status, who).to.equal(403);
      expect((await call('auditor', 'GET', '/api/audit/emergency-access?from=yesterday')).status).to.equal(400);
    });
  });

  describe('turvakielto', () => {
    it('gives no municipality or county of a turvakielto client outside the central team', async () => {
      const res = await lookup(secret.namedWorker, { hetu: secret.hetu, purpose: 'case_handling' });
      expect(res.status).to.equal(200);
      expect(res.body.nonDisclosure).to.equal(true);
      expect(res.body.municipality).to.equal(null);
      expect(res.body.county).to.equal(null);
      const [m] = await rinki.deps.db.query<{ code: string; name_fi: string; county_id: string; county_name: string }>(
        `SELECT m.code, m.name_fi, m.county_id, o.name_fi AS county_name FROM clients c JOIN municipalities m ON m.code = c.municipality_code
           JOIN organisations o ON o.id = m.county_id WHERE c.id = $1`,
        [secret.id],
      );
      // Of the people, only the reader themselves: other named workers or handlers would locate the client.
      expect((res.body.namedWorkers as { staffId: string }[]).map((w) => w.staffId)).to.deep.equal([secret.namedWorker]);
      const { namedWorkers: _own, ...rest } = res.body;
      const text = JSON.stringify(rest);
      for (const v of [m.name_fi, `"${m.code}"`, `"${m.county_id}"`, m.county_name]) expect(text).not.to.contain(v);
    });

    it('gives them to the central non-disclosure team, whom the rules ring for such clients', async () => {
      const res = await lookup('kela-lantinen-turva-1', { hetu: secret.hetu, purpose: 'routing' });
      expect(res.status).to.equal(200);
      expect(res.body.municipality).to.be.an('object');
      expect(res.body.county).to.be.an('object');
    });
  });

  describe('stand-ins', () => {
    const absence = (standInId: string) => ({
      staffId: 'kela-etelainen-2',
      startsAt: '2026-12-20T08:00:00+02:00',
      endsAt: '2026-12-24T16:00:00+02:00',
      standInId,
      reason: 'leave',
    });

    it('refuses a stand-in of another organisation with 400 naming body.standInId, and writes nothing', async () => {
      const before = (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM absences'))[0].n;
      const res = await call('kela.admin', 'POST', '/api/absences', absence('eksote.sosiaalityontekija'));
      expect(res.status).to.equal(400);
      expect((res.body.issues as { path: string }[])[0].path).to.equal('body.standInId');
      expect((await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM absences'))[0].n).to.equal(before);
    });

    it('accepts a stand-in of the same organisation (Kela’s districts stand in for each other)', async () => {
      expect((await call('kela.admin', 'POST', '/api/absences', absence('kela.kasittelija'))).status).to.equal(201);
      expect((await call('kela.admin', 'POST', '/api/absences', absence('kela-lantinen-turva-1'))).status).to.equal(201);
    });
  });
});
