// Presence across two Rinki processes sharing PostgreSQL and Redis: a change
// made on node A reaches a client connected to node B.
import fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { issueToken } from '../server/src/auth/tokens.ts';
import { openDb, type Db } from '../server/src/store/db.ts';
import {
  TEST_REDIS_URL,
  apiTokenFor,
  freshPgDatabase,
  spawnRinkiNode,
  startTestRinki,
  tempDir,
  type NodeProcess,
  type TestRinki,
} from './helpers/env.ts';
import { connectSocket, emitWithAck, nextEvent, seedRealtimeDirectory, testPush, type ClientSocket } from './helpers/realtime.ts';

interface PresenceEvent {
  staffId: string;
  status: string;
  until: string | null;
}

describe('realtime across two nodes (PostgreSQL + Redis)', function () {
  this.timeout(60_000);
  let fresh: Awaited<ReturnType<typeof freshPgDatabase>>;
  let dataDir: string;
  let db: Db;
  let nodeA: NodeProcess;
  let nodeB: NodeProcess;
  const tokens: Record<string, string> = {};
  const open: ClientSocket[] = [];

  before(async () => {
    fresh = await freshPgDatabase();
    dataDir = tempDir();
    const env = {
      DATABASE_URL: fresh.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: `rinki-t-${randomBytes(4).toString('hex')}:`,
      DATA_DIR: dataDir,
    };
    // One after the other: the first migrates the database and writes keys.json.
    nodeA = await spawnRinkiNode({ ...env, NODE_NAME: 'node-a' });
    nodeB = await spawnRinkiNode({ ...env, NODE_NAME: 'node-b' });
    db = await openDb({ databaseUrl: fresh.url, dataDir, poolSize: 2 });
    await seedRealtimeDirectory(db);
    for (const id of ['handler', 'worker']) tokens[id] = (await issueToken(db, { staffId: id, kind: 'api' })).token;
  });
  afterEach(() => {
    for (const s of open.splice(0)) s.close();
  });
  after(async () => {
    await Promise.all([nodeA?.stop(), nodeB?.stop()]);
    await db?.close();
    await fresh?.drop();
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  });

  const connect = async (node: NodeProcess, staffId: string) => {
    const s = await connectSocket(node.url, { token: tokens[staffId] });
    open.push(s);
    return s;
  };
  const restPresence = async (node: NodeProcess, staffId: string) => {
    const res = await fetch(`${node.url}/api/presence?staffIds=${staffId}`, { headers: { authorization: `Bearer ${tokens.handler}` } });
    return ((await res.json()) as { presence: PresenceEvent[] }).presence[0];
  };
  const forWorker = (status: string) => (p: PresenceEvent) => p.staffId === 'worker' && p.status === status;

  it('delivers a presence change made on node A to a watcher on node B', async () => {
    const watcher = await connect(nodeB, 'handler');
    const watched = await emitWithAck<{ ok: boolean; presence: PresenceEvent[] }>(watcher, 'presence:watch', { staffIds: ['worker'] });
    expect(watched.presence[0].status).to.equal('offline');

    const online = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('available'));
    const worker = await connect(nodeA, 'worker');
    await online;
    // Node B knows the worker is online although the socket is on node A.
    expect((await restPresence(nodeB, 'worker')).status).to.equal('available');

    const busy = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('busy'));
    expect((await emitWithAck(worker, 'presence:set', { status: 'busy' })).ok).to.equal(true);
    expect((await busy).status).to.equal('busy');
    expect((await restPresence(nodeB, 'worker')).status).to.equal('busy');

    const offline = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('offline'));
    worker.close();
    await offline;
    expect((await restPresence(nodeB, 'worker')).status).to.equal('offline');
    expect((await restPresence(nodeA, 'worker')).status).to.equal('offline');
  });

  it('stays online while the person has a socket on the other node', async () => {
    const watcher = await connect(nodeB, 'handler');
    await emitWithAck(watcher, 'presence:watch', { staffIds: ['worker'] });
    const onA = await connect(nodeA, 'worker');
    const onB = await connect(nodeB, 'worker');
    onA.close();
    const events: PresenceEvent[] = [];
    watcher.on('presence', (p: PresenceEvent) => events.push(p));
    const away = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('away'));
    await emitWithAck(onB, 'presence:set', { status: 'away' });
    await away;
    // Node A saw its last socket go, but the worker is still on node B: never offline.
    while ((await restPresence(nodeA, 'worker')).status !== 'away') await new Promise((r) => setTimeout(r, 20));
    expect(events.filter((e) => e.status === 'offline')).to.deep.equal([]);
    const offline = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('offline'));
    onB.close();
    await offline;
  });

  it('announces the end of a manual status set on node A to a watcher on node B', async () => {
    const watcher = await connect(nodeB, 'handler');
    await emitWithAck(watcher, 'presence:watch', { staffIds: ['worker'] });
    // Online again, still away from the previous test.
    const online = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('away'));
    const worker = await connect(nodeA, 'worker');
    await online;
    const busy = nextEvent<PresenceEvent>(watcher, 'presence', forWorker('busy'));
    await emitWithAck(worker, 'presence:set', { status: 'busy', until: new Date(Date.now() + 1000).toISOString() });
    await busy;
    await nextEvent<PresenceEvent>(watcher, 'presence', forWorker('available'));
    expect((await restPresence(nodeB, 'worker')).status).to.equal('available');
  });

  it('logged no errors on either node', () => {
    for (const node of [nodeA, nodeB]) expect(node.output()).not.to.match(/"level":(50|60)/);
  });
});

// Two nodes in this process (same database, same Redis), so the test can call
// the Realtime interface of one and watch sockets on the other.
describe('realtime helpers across two in-process nodes', function () {
  this.timeout(60_000);
  let fresh: Awaited<ReturnType<typeof freshPgDatabase>>;
  let a: TestRinki;
  let b: TestRinki;
  const open: ClientSocket[] = [];

  before(async () => {
    fresh = await freshPgDatabase();
    const env = { DATABASE_URL: fresh.url, REDIS_PREFIX: `rinki-t-${randomBytes(4).toString('hex')}:` };
    a = await startTestRinki({ redis: true, env });
    b = await startTestRinki({ redis: true, env });
    await seedRealtimeDirectory(a.deps.db);
  });
  after(async () => {
    for (const s of open) s.close();
    await a?.cleanup();
    await b?.cleanup();
    await fresh?.drop();
  });

  it('delivers toUser, toTeam and toOrganisation from node A to a socket on node B', async () => {
    const s = await connectSocket(b.url, { token: await apiTokenFor(a, 'worker') });
    open.push(s);
    const got = Promise.all([nextEvent(s, 'u'), nextEvent(s, 't'), nextEvent(s, 'o')]);
    a.realtime.toUser('worker', testPush('u'), { n: 1 });
    a.realtime.toTeam('team-a', testPush('t'), { n: 2 });
    a.realtime.toOrganisation('county-a', testPush('o'), { n: 3 });
    expect((await got).map((p) => p.n)).to.deep.equal([1, 2, 3]);
  });

  it('drops a signed-out token on every node', async () => {
    const issued = await issueToken(a.deps.db, { staffId: 'handler', kind: 'api' });
    const onB = await connectSocket(b.url, { token: issued.token });
    const onA = await connectSocket(a.url, { token: issued.token });
    open.push(onA, onB);
    const dropped = Promise.all([onA, onB].map((s) => new Promise<string>((resolve) => s.once('disconnect', resolve))));
    a.realtime.disconnectToken(issued.tokenHash);
    expect(await dropped).to.deep.equal(['io server disconnect', 'io server disconnect']);
  });

  it('reads presence on node A of a person connected to node B', async () => {
    const s = await connectSocket(b.url, { token: await apiTokenFor(a, 'colleague') });
    open.push(s);
    while ((await a.realtime.getPresence(['colleague'])).get('colleague')!.status !== 'available') await new Promise((r) => setTimeout(r, 20));
    s.close();
    while ((await a.realtime.getPresence(['colleague'])).get('colleague')!.status !== 'offline') await new Promise((r) => setTimeout(r, 20));
  });
});
