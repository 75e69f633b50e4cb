import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { apiTokenFor, freshPgDatabase, startTestRinki, type TestRinki } from '../../../tests/helpers/env.ts';
import { sodium } from '../crypto/sodium.ts';
import { makeOrgFixture, type OrgFixture } from '../directory/fixtures.ts';
import type { Db } from '../store/db.ts';
import { verifyDatabaseLog } from './export.ts';

async function lookUp(rinki: TestRinki, token: string, hetu: string, purpose: string) {
  const res = await fetch(`${rinki.url}/api/clients/lookup`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ hetu, purpose }),
  });
  await res.text();
  return res.status;
}

/** Each client_access_events row has exactly one chain entry that says the same. */
async function expectEventsChained(db: Db, count: number) {
  const events = await db.query<{ id: number; at: Date; actor_id: string; actor_organisation_id: string; client_id: string; action: string; purpose: string }>(
    'SELECT * FROM client_access_events ORDER BY id',
  );
  const entries = await db.query<{ at: Date; entry: Record<string, unknown> }>("SELECT at, entry_text::jsonb AS entry FROM audit_log_entries WHERE log = 'access' ORDER BY seq");
  expect(events).to.have.length(count);
  expect(entries).to.have.length(count);
  const byEvent = new Map(entries.map((e) => [Number(e.entry.eventId), e]));
  for (const ev of events) {
    const e = byEvent.get(Number(ev.id));
    expect(e, `event ${ev.id}`).to.not.equal(undefined);
    expect(e!.entry).to.deep.equal({
      type: 'client_access',
      eventId: Number(ev.id),
      actorId: ev.actor_id,
      actorOrganisationId: ev.actor_organisation_id,
      clientId: ev.client_id,
      action: ev.action,
      purpose: ev.purpose,
    });
    expect(new Date(e!.at).getTime()).to.equal(new Date(ev.at).getTime());
  }
}

describe('access log: client reads are chained (PGlite, one node)', () => {
  let rinki: TestRinki;
  let f: OrgFixture;
  let token: string;
  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { AUDIT_CHECKPOINT_EVERY: '3' } });
    f = await makeOrgFixture(rinki.deps.db, rinki.deps.keys);
    token = await apiTokenFor(rinki, f.staff.countyAWorker);
  });
  after(() => rinki.cleanup());

  it('appends one access entry per read and refused read, in the same transaction, with checkpoints', async () => {
    for (let i = 0; i < 7; i++) expect(await lookUp(rinki, token, f.clients!.a.hetu, `case_handling`)).to.equal(200);
    // a refused read (a client they have no task with) is chained too, as client.read.refused
    expect(await lookUp(rinki, token, f.clients!.b.hetu, 'case_handling')).to.equal(404);
    await expectEventsChained(rinki.deps.db, 8);
    const [last] = await rinki.deps.db.query<{ action: string }>('SELECT action FROM client_access_events ORDER BY id DESC LIMIT 1');
    expect(last.action).to.equal('client.read.refused');
    const r = await verifyDatabaseLog(rinki.deps.db, 'access', rinki.deps.keys.auditSigning.publicKey);
    expect(r).to.include({ ok: true, entries: 8, checkpoints: 2, unsignedTail: 2 });
  });
});

describe('access log: two in-process nodes on one PostgreSQL database', function () {
  this.timeout(60_000);
  let a: TestRinki;
  let b: TestRinki;
  let drop: () => Promise<void>;
  let f: OrgFixture;

  before(async () => {
    const fresh = await freshPgDatabase();
    drop = fresh.drop;
    const s = await sodium();
    const env = {
      DATABASE_URL: fresh.url,
      CLIENT_ID_KEY: randomBytes(32).toString('base64'),
      AUDIT_SIGNING_KEY: Buffer.from(s.crypto_sign_keypair().privateKey).toString('base64'),
      COOKIE_SECRET: randomBytes(32).toString('base64'),
      AUDIT_CHECKPOINT_EVERY: '10',
    };
    a = await startTestRinki({ env: { ...env, NODE_NAME: 'a' } });
    b = await startTestRinki({ env: { ...env, NODE_NAME: 'b' } });
    f = await makeOrgFixture(a.deps.db, a.deps.keys);
  });
  after(async () => {
    await a?.cleanup();
    await b?.cleanup();
    await drop?.();
  });

  it('concurrent reads on both nodes leave one access chain that verifies', async () => {
    const tokenA = await apiTokenFor(a, f.staff.countyAWorker);
    const tokenB = await apiTokenFor(b, f.staff.kelaHandler);
    const statuses = await Promise.all([
      ...Array.from({ length: 30 }, () => lookUp(a, tokenA, f.clients!.a.hetu, 'case_handling')),
      ...Array.from({ length: 30 }, () => lookUp(b, tokenB, f.clients!.a.hetu, 'routing')),
    ]);
    expect(statuses.every((st) => st === 200)).to.equal(true);
    await expectEventsChained(a.deps.db, 60);
    const r = await verifyDatabaseLog(b.deps.db, 'access', b.deps.keys.auditSigning.publicKey);
    expect(r).to.include({ ok: true, entries: 60, checkpoints: 6 });
  });
});
