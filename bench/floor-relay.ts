// The benchmark's floor: the least a durable relay must do per event. POST
// inserts the event with one PostgreSQL INSERT, then hands it to the waiting
// long-polls of the room's members in memory. GET long-polls return a room's
// events after a position, each with its content, as a relay must deliver
// them. Nothing else: no auth, no sync state, no Redis.
//
// Env: DATABASE_URL, ROOMS_FILE (JSON: {room: [user, ...]}), PORT (0 = any).
/* eslint-disable no-console */
import http from 'node:http';
import fs from 'node:fs';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const rooms = JSON.parse(fs.readFileSync(process.env.ROOMS_FILE!, 'utf8')) as Record<string, string[]>;
const roomOf = new Map<string, string>();
for (const [room, members] of Object.entries(rooms)) for (const m of members) roomOf.set(m, room);

/** An event as its room's members receive it: its id, sender, type and content. */
interface Ev {
  id: string;
  sender: string;
  type: string;
  content: unknown;
}
// Events in the order their INSERTs committed; a poll's `since` is an index here.
const log = new Map<string, Ev[]>(Object.keys(rooms).map((r) => [r, []]));
const waiting = new Map<string, Set<() => void>>();

await pool.query('CREATE TABLE IF NOT EXISTS floor_events (id bigserial PRIMARY KEY, room text NOT NULL, sender text NOT NULL, body jsonb NOT NULL)');

function json(res: http.ServerResponse, status: number, body: unknown) {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

const server = http.createServer((req, res) => {
  const url = new URL(req.url!, 'http://x');
  const user = url.searchParams.get('user') ?? '';
  const room = roomOf.get(user);
  if (!room) return json(res, 404, { error: 'unknown user' });
  if (req.method === 'POST' && url.pathname === '/send') {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      let content: unknown;
      try {
        content = JSON.parse(body);
      } catch {
        return json(res, 400, { error: 'not JSON' });
      }
      pool
        .query<{ id: string }>('INSERT INTO floor_events (room, sender, body) VALUES ($1, $2, $3::jsonb) RETURNING id', [room, user, body])
        .then((r) => {
          const id = String(r.rows[0].id);
          log.get(room)!.push({ id, sender: user, type: 'm.room.encrypted', content });
          for (const m of rooms[room]) for (const wake of waiting.get(m) ?? []) wake();
          json(res, 200, { event_id: id });
        })
        .catch((err: Error) => json(res, 500, { error: err.message }));
    });
    return;
  }
  if (req.method === 'GET' && url.pathname === '/poll') {
    const since = Number(url.searchParams.get('since') ?? 0);
    const timeout = Number(url.searchParams.get('timeout') ?? 30000);
    const events = log.get(room)!;
    const answer = () => json(res, 200, { next: events.length, events: events.slice(since) });
    if (events.length > since || timeout === 0) return answer();
    let set = waiting.get(user);
    if (!set) waiting.set(user, (set = new Set()));
    const done = () => {
      clearTimeout(timer);
      set.delete(done);
      if (!res.writableEnded) answer();
    };
    const timer = setTimeout(done, timeout);
    set.add(done);
    res.on('close', done);
    return;
  }
  json(res, 404, { error: 'not found' });
});
server.keepAliveTimeout = 65_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const addr = server.address() as { port: number };
  console.log(JSON.stringify({ floor: `http://127.0.0.1:${addr.port}` }));
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close();
  void pool.end().then(() => process.exit(0));
});
