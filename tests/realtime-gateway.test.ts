// The Socket.IO gateway on one node: authentication, rooms, commands and their AsyncAPI document, presence, REST presence.
import { expect } from 'chai';
import { issueToken } from '../server/src/auth/tokens.ts';
import { PUSHES } from '../server/src/realtime/pushes.ts';
import { apiTokenFor, startTestRinki, type TestRinki } from './helpers/env.ts';
import {
  connectSocket,
  emitWithAck,
  eventsOf,
  nextEvent,
  recordEvents,
  seedRealtimeDirectory,
  testPush,
  type AsyncApiDocument,
  type ClientSocket,
} from './helpers/realtime.ts';

interface PresenceEvent {
  staffId: string;
  status: string;
  until: string | null;
  changedAt: string;
}

describe('realtime gateway (one node, PGlite)', () => {
  let rinki: TestRinki;
  const tokens: Record<string, string> = {};
  const open: ClientSocket[] = [];

  const connectAs = async (staffId: string) => {
    const s = await connectSocket(rinki.url, { token: tokens[staffId] });
    open.push(s);
    return s;
  };
  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${rinki.url}${path}`, {
      ...init,
      headers: {
        'content-type': 'application/json',
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
    });
  const presenceOf = async (staffId: string) => {
    const res = await api(`/api/presence?staffIds=${staffId}`, { token: tokens.handler });
    const body = (await res.json()) as { presence: { status: string }[] };
    return body.presence[0].status;
  };

  before(async () => {
    rinki = await startTestRinki({ store: 'pglite' });
    await seedRealtimeDirectory(rinki.deps.db);
    for (const id of ['handler', 'worker', 'colleague', 'outsider']) tokens[id] = await apiTokenFor(rinki, id);
  });
  const waitForStatus = async (staffId: string, status: string) => {
    while ((await rinki.realtime.getPresence([staffId])).get(staffId)!.status !== status) await new Promise((r) => setTimeout(r, 20));
  };
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    // The server notices closed sockets asynchronously; the next test starts from everyone offline.
    for (const id of Object.keys(tokens)) await waitForStatus(id, 'offline');
  });
  after(() => rinki.cleanup());

  describe('authentication', () => {
    it('accepts an API token in the handshake', async () => {
      const s = await connectAs('worker');
      expect(s.connected).to.equal(true);
    });

    it('refuses a handshake without credentials', async () => {
      const err = await connectSocket(rinki.url).then(
        () => expect.fail('connected'),
        (e: Error) => e,
      );
      expect(err.message).to.equal('unauthorized');
    });

    it('refuses an unknown or malformed token', async () => {
      for (const token of ['x'.repeat(43), 'short', 'not a token!'.repeat(4)]) {
        const err = await connectSocket(rinki.url, { token }).then(
          () => expect.fail('connected'),
          (e: Error) => e,
        );
        expect(err.message).to.equal('unauthorized');
      }
    });

    it('accepts a web session cookie, but not an API token as a cookie', async () => {
      const web = await issueToken(rinki.deps.db, { staffId: 'worker', kind: 'web' });
      const s = await connectSocket(rinki.url, { headers: { cookie: `other=1; rinki_session=${web.token}` } });
      open.push(s);
      expect(s.connected).to.equal(true);
      const err = await connectSocket(rinki.url, { headers: { cookie: `rinki_session=${tokens.worker}` } }).then(
        () => expect.fail('connected'),
        (e: Error) => e,
      );
      expect(err.message).to.equal('unauthorized');
    });

    it('refuses a cross-origin handshake and accepts the public origin', async () => {
      const err = await connectSocket(rinki.url, { token: tokens.worker, headers: { origin: 'https://evil.example' } }).then(
        () => expect.fail('connected'),
        (e: Error) => e,
      );
      expect(err).to.be.instanceOf(Error);
      const origin = new URL(rinki.deps.config.publicUrl).origin;
      open.push(await connectSocket(rinki.url, { token: tokens.worker, headers: { origin } }));
    });

    it('drops the sockets of a token on disconnectToken', async () => {
      const issued = await issueToken(rinki.deps.db, { staffId: 'colleague', kind: 'api' });
      const s = await connectSocket(rinki.url, { token: issued.token });
      open.push(s);
      const other = await connectAs('colleague');
      const dropped = new Promise<string>((resolve) => s.once('disconnect', resolve));
      rinki.realtime.disconnectToken(issued.tokenHash);
      expect(await dropped).to.equal('io server disconnect');
      // A socket of the same person with another token stays.
      expect((await emitWithAck(other, 'presence:watch', { staffIds: [] })).ok).to.equal(true);
    });
  });

  describe('rooms', () => {
    it('delivers toUser, toTeam and toOrganisation to the rooms joined on connect', async () => {
      const worker = await connectAs('worker');
      const handler = await connectAs('handler');
      const got = Promise.all([
        nextEvent(worker, 'ping-user'),
        nextEvent(worker, 'ping-team'),
        nextEvent(worker, 'ping-org'),
        nextEvent(handler, 'ping-district'),
        nextEvent(handler, 'ping-kela'),
      ]);
      rinki.realtime.toUser('worker', testPush('ping-user'), { n: 1 });
      rinki.realtime.toTeam('team-a', testPush('ping-team'), { n: 2 });
      rinki.realtime.toOrganisation('county-a', testPush('ping-org'), { n: 3 });
      rinki.realtime.toOrganisation('kela-d1', testPush('ping-district'), { n: 4 });
      rinki.realtime.toOrganisation('kela', testPush('ping-kela'), { n: 5 });
      expect((await got).map((p) => p.n)).to.deep.equal([1, 2, 3, 4, 5]);
    });

    it("keeps one organisation's events from another's staff", async () => {
      const outsider = await connectAs('outsider');
      const leaked = recordEvents(outsider, 'ping');
      rinki.realtime.toOrganisation('county-a', testPush('ping'), { secret: true });
      rinki.realtime.toTeam('team-a', testPush('ping'), { secret: true });
      rinki.realtime.toUser('worker', testPush('ping'), { secret: true });
      // Emits reach a socket in order: once this arrives, the others would have.
      const marker = nextEvent(outsider, 'marker');
      rinki.realtime.toUser('outsider', testPush('marker'), {});
      await marker;
      expect(leaked).to.deep.equal([]);
    });

    it('lets a member subscribe to a team, and nobody else', async () => {
      const outsider = await connectAs('outsider');
      expect(await emitWithAck(outsider, 'subscribe', { team: 'team-a' })).to.deep.equal({
        ok: false,
        status: 403,
        error: 'team: not a member of that team',
      });
      expect(await emitWithAck(outsider, 'subscribe', { team: 'no-such-team' })).to.have.property('ok', false);
      const bad = await emitWithAck<{ ok: boolean; error: string }>(outsider, 'subscribe', { room: 'org:county-a' });
      expect(bad.ok).to.equal(false);
      expect(bad.error).to.match(/room|team/);

      // Joined to team-a2 after connecting: subscribing picks it up.
      const worker = await connectAs('worker');
      expect((await emitWithAck(worker, 'subscribe', { team: 'team-a2' })).ok).to.equal(false);
      await rinki.deps.db.query("INSERT INTO team_members (team_id, staff_id) VALUES ('team-a2', 'worker')");
      try {
        expect(await emitWithAck(worker, 'subscribe', { team: 'team-a2' })).to.deep.equal({ ok: true });
        const got = nextEvent(worker, 'queue');
        rinki.realtime.toTeam('team-a2', testPush('queue'), { n: 7 });
        expect(await got).to.deep.equal({ n: 7 });
      } finally {
        await rinki.deps.db.query("DELETE FROM team_members WHERE team_id = 'team-a2'");
      }
    });
  });

  describe('presence', () => {
    it('shows a person available once connected, offline before', async () => {
      expect(await presenceOf('colleague')).to.equal('offline');
      const watcher = await connectAs('handler');
      await emitWithAck(watcher, 'presence:watch', { staffIds: ['colleague'] });
      const seen = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.staffId === 'colleague');
      const colleague = await connectAs('colleague');
      expect((await seen).status).to.equal('available');
      expect(await presenceOf('colleague')).to.equal('available');
      colleague.close();
      expect((await nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.staffId === 'colleague')).status).to.equal('offline');
    });

    it('stays available while one of two sockets is open, offline when both close', async () => {
      const watcher = await connectAs('handler');
      const watched = await emitWithAck<{ presence: { status: string }[] }>(watcher, 'presence:watch', { staffIds: ['worker'] });
      expect(watched.presence[0].status).to.equal('offline');
      const events = recordEvents<PresenceEvent>(watcher, 'presence');
      const first = await connectAs('worker');
      await nextEvent(watcher, 'presence', (p: PresenceEvent) => p.staffId === 'worker' && p.status === 'available');
      const second = await connectAs('worker');
      first.close();
      // A change made through the remaining socket arrives after anything the close caused.
      const busy = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.status === 'busy');
      expect((await emitWithAck(second, 'presence:set', { status: 'busy' })).ok).to.equal(true);
      await busy;
      expect(events.filter((e) => e.status === 'offline')).to.deep.equal([]);
      expect(await presenceOf('worker')).to.equal('busy');
      second.close();
      const offline = await nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.status === 'offline');
      expect(offline.staffId).to.equal('worker');
      expect(await presenceOf('worker')).to.equal('offline');
      // The manual status outlives the sockets: it shows again on the next connection.
      const back = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.staffId === 'worker');
      await connectAs('worker');
      expect((await back).status).to.equal('busy');
      await rinki.realtime.setManualStatus('worker', 'available', null);
    });

    it('reverts a manual status to available when its time is up', async () => {
      const worker = await connectAs('worker');
      const watcher = await connectAs('colleague'); // same county: sees it through the organisation room
      const busy = nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.staffId === 'worker' && p.status === 'busy');
      const until = new Date(Date.now() + 1200).toISOString();
      const ack = await emitWithAck<{ ok: boolean; presence: PresenceEvent }>(worker, 'presence:set', { status: 'busy', until });
      expect(ack.ok).to.equal(true);
      expect(ack.presence).to.include({ staffId: 'worker', status: 'busy', until });
      expect((await busy).until).to.equal(until);
      const back = await nextEvent<PresenceEvent>(watcher, 'presence', (p) => p.staffId === 'worker' && p.status === 'available');
      expect(back.until).to.equal(null);
      expect(await presenceOf('worker')).to.equal('available');
      const [row] = await rinki.deps.db.query("SELECT manual_status FROM presence WHERE staff_id = 'worker'");
      expect(row.manual_status).to.equal(null);
    });

    it('accepts minutes as until and refuses bad presence:set input', async () => {
      const worker = await connectAs('worker');
      const ok = await emitWithAck<{ ok: boolean; presence: PresenceEvent }>(worker, 'presence:set', { status: 'away', until: 30 });
      expect(ok.ok).to.equal(true);
      expect(ok.presence.status).to.equal('away');
      const cases: [unknown, RegExp][] = [
        [{ status: 'sleeping' }, /status/],
        [{ status: 'offline' }, /status/],
        [{ status: 'busy', until: '2000-01-01T00:00:00Z' }, /until/],
        [{ status: 'busy', until: 'tomorrow' }, /until/],
        [{ status: 'busy', until: -5 }, /until/],
        [{ status: 'busy', extra: 1 }, /extra/],
        ['busy', /expected object/i],
      ];
      for (const [payload, message] of cases) {
        const r = await emitWithAck<{ ok: boolean; error: string }>(worker, 'presence:set', payload);
        expect(r.ok, JSON.stringify(payload)).to.equal(false);
        expect(r.error).to.match(message);
      }
      expect(await presenceOf('worker')).to.equal('away');
      await rinki.realtime.setManualStatus('worker', 'available', null);
    });

    it('delivers a watched person in another organisation to a Kela handler', async () => {
      const handler = await connectAs('handler');
      const worker = await connectAs('worker');
      const presenceEvents = recordEvents<PresenceEvent>(handler, 'presence');
      const workerEvents = () => presenceEvents.filter((e) => e.staffId === 'worker').map((e) => e.status);
      // Not watching yet: county A's presence does not reach Kela.
      await emitWithAck(worker, 'presence:set', { status: 'away' });
      const watched = await emitWithAck<{ ok: boolean; presence: { staffId: string; status: string }[] }>(handler, 'presence:watch', {
        staffIds: ['worker', 'colleague'],
      });
      expect(watched).to.deep.equal({
        ok: true,
        presence: [
          { staffId: 'worker', status: 'away', until: null },
          { staffId: 'colleague', status: 'offline', until: null },
        ],
      });
      const busy = nextEvent<PresenceEvent>(handler, 'presence', (p) => p.staffId === 'worker' && p.status === 'busy');
      await emitWithAck(worker, 'presence:set', { status: 'busy' });
      await busy;
      expect(workerEvents()).to.deep.equal(['busy']);
      // Watching is replaced, not added to.
      await emitWithAck(handler, 'presence:watch', { staffIds: ['colleague'] });
      const marker = nextEvent(handler, 'marker');
      await emitWithAck(worker, 'presence:set', { status: 'available' });
      rinki.realtime.toUser('handler', testPush('marker'), {});
      await marker;
      expect(workerEvents()).to.deep.equal(['busy']);
      const tooMany = await emitWithAck<{ ok: boolean; error: string }>(handler, 'presence:watch', {
        staffIds: Array.from({ length: 201 }, (_, i) => `s${i}`),
      });
      expect(tooMany.ok).to.equal(false);
      expect(tooMany.error).to.match(/staffIds/);
    });

    it('answers getPresence for many people at once', async () => {
      await connectAs('worker');
      await waitForStatus('worker', 'available');
      const map = await rinki.realtime.getPresence(['worker', 'outsider', 'nobody']);
      expect([...map].map(([id, p]) => [id, p.status])).to.deep.equal([
        ['worker', 'available'],
        ['outsider', 'offline'],
        ['nobody', 'offline'],
      ]);
    });
  });

  describe('commands and pushes (/api/asyncapi.json)', () => {
    const asyncApi = async () => {
      const res = await fetch(`${rinki.url}/api/asyncapi.json`);
      expect(res.status).to.equal(200);
      return (await res.json()) as AsyncApiDocument;
    };
    /** Every row of every table: a command that wrote anything changes it. */
    const everything = async () => {
      const tables = await rinki.deps.db.query<{ name: string }>(
        "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name",
      );
      const rows: Record<string, string> = {};
      for (const { name } of tables) {
        const [{ rows: text }] = await rinki.deps.db.query<{ rows: string | null }>(`SELECT string_agg(t::text, E'\\n' ORDER BY t::text) AS rows FROM "${name}" t`);
        rows[name] = text ?? '';
      }
      return rows;
    };

    it('lists every command a socket answers and every push, with resolvable references, without sign-in', async () => {
      const doc = await asyncApi();
      expect(doc.asyncapi).to.equal('3.0.0');
      await connectAs('worker');
      // The server side of a live socket lists the events it answers, Socket.IO's own aside.
      const server = [...rinki.realtime.io.of('/').sockets.values()][0];
      const answered = server.eventNames().map(String).filter((e) => !['disconnect', 'disconnecting', 'error'].includes(e));
      expect(eventsOf(doc, 'receive').sort()).to.deep.equal(answered.sort());
      expect(answered).to.include.members(['presence:set', 'presence:watch', 'subscribe', 'unsubscribe', 'ring:accept', 'urgent:subscribe']);
      expect(eventsOf(doc, 'send').sort()).to.deep.equal(Object.values(PUSHES).map((p) => p.name).sort());

      const resolve = (ref: string) => ref.slice(2).split('/').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')], doc);
      for (const [id, op] of Object.entries(doc.operations)) {
        const channel = resolve(op.channel.$ref) as AsyncApiDocument['channels'][string];
        expect(channel, id).to.be.an('object');
        // An operation's messages (and its reply's) are messages of its channel, each with a payload schema.
        for (const m of [...op.messages, ...(op.reply?.messages ?? [])]) {
          expect(m.$ref.startsWith(`${op.channel.$ref}/messages/`), m.$ref).to.equal(true);
          expect((resolve(m.$ref) as { payload: unknown }).payload, m.$ref).to.be.an('object');
        }
        expect(op.reply !== undefined, id).to.equal(op.action === 'receive');
      }
    });

    it('refuses a bad payload to every command with a 400 naming the field, and writes nothing', async () => {
      const commands = eventsOf(await asyncApi(), 'receive');
      const worker = await connectAs('worker');
      // Connecting writes the online flag: wait for it before taking the picture.
      while (!(await rinki.deps.db.query("SELECT 1 FROM presence WHERE staff_id = 'worker' AND online")).length) await new Promise((r) => setTimeout(r, 20));
      const before = await everything();
      for (const name of commands) {
        for (const payload of [{ unexpected: true }, 'text', 42, null]) {
          const ack = await emitWithAck<{ ok: boolean; status: number; error: string; issues: { path: string }[] }>(worker, name, payload);
          expect(ack, `${name} ${JSON.stringify(payload)}`).to.include({ ok: false, status: 400 });
          expect(ack.error).to.match(/^Invalid payload: payload/);
          expect(ack.issues.length).to.be.greaterThan(0);
          expect(ack.issues.every((i) => i.path.startsWith('payload'))).to.equal(true);
        }
      }
      expect(await everything()).to.deep.equal(before);
    });

    it('refuses an unknown command, a push name among them', async () => {
      const worker = await connectAs('worker');
      expect(await emitWithAck(worker, 'no:such-command', {})).to.deep.equal({ ok: false, status: 404, error: 'No such command: no:such-command' });
      expect(await emitWithAck(worker, 'ring:offer', {})).to.deep.equal({ ok: false, status: 404, error: 'No such command: ring:offer' });
      // The socket stays usable.
      expect((await emitWithAck(worker, 'presence:watch', { staffIds: [] })).ok).to.equal(true);
    });
  });

  describe('REST presence', () => {
    it('sets my status and reads presence', async () => {
      await connectAs('colleague');
      const res = await api('/api/presence/me', { method: 'PUT', token: tokens.colleague, body: JSON.stringify({ status: 'away', untilMinutes: 15 }) });
      expect(res.status).to.equal(200);
      const body = (await res.json()) as PresenceEvent;
      expect(body).to.include({ staffId: 'colleague', status: 'away' });
      expect(new Date(body.until!).getTime()).to.be.greaterThan(Date.now());
      const read = await api('/api/presence?staffIds=colleague,outsider', { token: tokens.outsider });
      expect(read.status).to.equal(200);
      const { presence } = (await read.json()) as { presence: { staffId: string; status: string }[] };
      expect(presence.map((p) => [p.staffId, p.status])).to.deep.equal([
        ['colleague', 'away'],
        ['outsider', 'offline'],
      ]);
    });

    it('refuses bad input with 400 naming the field, and writes nothing', async () => {
      await api('/api/presence/me', { method: 'PUT', token: tokens.handler, body: JSON.stringify({ status: 'busy' }) });
      const before = await rinki.deps.db.query("SELECT manual_status, changed_at FROM presence WHERE staff_id = 'handler'");
      for (const body of [{ status: 'sleeping' }, { status: 'away', untilMinutes: 0 }, { status: 'away', untilMinutes: 1e9 }, { status: 'away', x: 1 }]) {
        const res = await api('/api/presence/me', { method: 'PUT', token: tokens.handler, body: JSON.stringify(body) });
        expect(res.status, JSON.stringify(body)).to.equal(400);
        const field = Object.keys(body).find((k) => k !== 'status') ?? 'status';
        expect(((await res.json()) as { message: string }).message).to.include(field === 'x' ? 'body' : field);
      }
      expect(await rinki.deps.db.query("SELECT manual_status, changed_at FROM presence WHERE staff_id = 'handler'")).to.deep.equal(before);

      const many = Array.from({ length: 201 }, (_, i) => `s${i}`).join(',');
      const tooMany = await api(`/api/presence?staffIds=${many}`, { token: tokens.handler });
      expect(tooMany.status).to.equal(400);
      expect(((await tooMany.json()) as { message: string }).message).to.include('staffIds');
      expect((await api('/api/presence', { token: tokens.handler })).status).to.equal(400);
      expect((await api('/api/presence?staffIds=a,,b', { token: tokens.handler })).status).to.equal(400);
    });

    it('requires sign-in', async () => {
      expect((await api('/api/presence?staffIds=worker')).status).to.equal(401);
      expect((await api('/api/presence/me', { method: 'PUT', body: JSON.stringify({ status: 'busy' }) })).status).to.equal(401);
    });

    it('describes the endpoints in the OpenAPI document', async () => {
      const doc = (await (await fetch(`${rinki.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(doc.paths).to.have.property('/api/presence');
      expect(doc.paths).to.have.property('/api/presence/me');
    });
  });
});
