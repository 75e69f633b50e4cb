// Two people accept the same request at the same moment on two nodes
// (PostgreSQL + Redis): exactly one wins, every time.
import { randomBytes, randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { makeOrgFixture, type OrgFixture } from '../server/src/directory/fixtures.ts';
import { apiTokenFor, freshPgDatabase, startTestRinki, type TestRinki } from './helpers/env.ts';

const TRIALS = 1000;
const IN_PARALLEL = 10;

describe('ringing: the accept race across two nodes (PostgreSQL + Redis)', function () {
  this.timeout(300_000);
  let fresh: Awaited<ReturnType<typeof freshPgDatabase>>;
  let a: TestRinki;
  let b: TestRinki;
  let f: OrgFixture;
  const tokens: Record<string, string> = {};

  before(async () => {
    fresh = await freshPgDatabase();
    const env = { DATABASE_URL: fresh.url, REDIS_PREFIX: `rinki-t-${randomBytes(4).toString('hex')}:` };
    a = await startTestRinki({ redis: true, env });
    b = await startTestRinki({ redis: true, env });
    f = await makeOrgFixture(a.deps.db, a.deps.keys);
    for (const id of [f.staff.kelaWorker, f.staff.kelaLiaison, f.staff.countyAWorker]) tokens[id] = await apiTokenFor(a, id);
  });
  after(async () => {
    await a?.cleanup();
    await b?.cleanup();
    await fresh?.drop();
  });

  /** A request ringing two people at once, written as the ring lifecycle leaves it. */
  async function ringingRequest(): Promise<{ requestId: string; offers: [string, string] }> {
    const requestId = randomUUID();
    const offers: [string, string] = [randomUUID(), randomUUID()];
    const now = new Date();
    await a.deps.db.tx(async (q) => {
      await q.query(
        `INSERT INTO routing_requests (id, requester_id, requester_organisation_id, requester_organisation_kind, client_id, request_type, urgency,
           basis, state, rule_set_region, final, created_at)
         VALUES ($1, $2, $3, 'county', $4, 'konsultaatio', 'normal', 'totul_18', 'ringing', 'default', '{"action":"callback","explanation":{"key":"x"}}', $5)`,
        [requestId, f.staff.countyAWorker, f.orgs.countyA, f.clients!.a.id, now],
      );
      for (const [i, staffId] of [f.staff.kelaWorker, f.staff.kelaLiaison].entries()) {
        await q.query(
          `INSERT INTO ring_offers (id, request_id, staff_id, step_id, round, state, offered_at, expires_at) VALUES ($1, $2, $3, 'team', 1, 'ringing', $4, $5)`,
          [offers[i], requestId, staffId, now, new Date(now.getTime() + 60_000)],
        );
      }
    });
    return { requestId, offers };
  }

  const accept = (node: TestRinki, staffId: string, offerId: string) =>
    fetch(`${node.url}/api/ringing/offers/${offerId}/accept`, { method: 'POST', headers: { authorization: `Bearer ${tokens[staffId]}` } }).then((r) => r.status);

  it(`exactly one of two simultaneous accepts wins, ${TRIALS} times`, async () => {
    let doubleWins = 0;
    let noWins = 0;
    for (let done = 0; done < TRIALS; done += IN_PARALLEL) {
      await Promise.all(
        Array.from({ length: IN_PARALLEL }, async () => {
          const { requestId, offers } = await ringingRequest();
          const statuses = await Promise.all([accept(a, f.staff.kelaWorker, offers[0]), accept(b, f.staff.kelaLiaison, offers[1])]);
          const wins = statuses.filter((s) => s === 200).length;
          expect(statuses.every((s) => s === 200 || s === 409), String(statuses)).to.equal(true);
          if (wins > 1) doubleWins++;
          if (wins === 0) noWins++;
          const [row] = await a.deps.db.query<{ state: string; accepted_by: string }>('SELECT state, accepted_by FROM routing_requests WHERE id = $1', [requestId]);
          expect(row.state).to.equal('accepted');
          const accepted = await a.deps.db.query(`SELECT 1 FROM ring_offers WHERE request_id = $1 AND state = 'accepted'`, [requestId]);
          expect(accepted).to.have.length(1);
        }),
      );
    }
    expect({ doubleWins, noWins }).to.deep.equal({ doubleWins: 0, noWins: 0 });
    // One identity disclosure per request, never two.
    const [d] = await a.deps.db.query<{ n: number; requests: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT entry_text::jsonb->>'routingRequestId')::int AS requests FROM audit_log_entries WHERE log = 'disclosure'`,
    );
    expect(d.n).to.equal(TRIALS);
    expect(d.requests).to.equal(TRIALS);
  });
});
