// Socket.IO gateway: authenticated sockets, rooms per user, team and organisation, presence.
//
// Sockets authenticate like the REST API: the `rinki_session` cookie (web
// token) or `auth: {token}` in the handshake (an API token). Every socket sits
// in user:<staff>, org:<root>, org:<unit>, team:<team> for its teams, and
// token:<hash> so signing out can drop it on every node. Clients cannot name
// rooms: the commands the capabilities declare (command() in their routes.ts,
// e.g. `subscribe`, `presence:watch`, `urgent:subscribe`) are the only ways in,
// each checked. With REDIS_URL the Redis adapter carries every emit to all nodes.
import type http from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { Server, type DefaultEventsMap, type Socket } from 'socket.io';
import type { Actor } from '../auth/actor.ts';
import { SESSION_COOKIE } from '../auth/authenticate.ts';
import { actorForToken, liveTokenHashes } from '../auth/tokens.ts';
import { watchRedis } from '../bus/bus.ts';
import type { Deps } from '../deps.ts';
import { HttpError, notFound } from '../http/errors.ts';
import { refusal, type CommandContext, type PushSpec, type SocketCommand } from './api.ts';
import {
  LocalLiveSockets,
  RedisLiveSockets,
  effectivePresence,
  expireManualStatuses,
  nextManualExpiry,
  readManualStatuses,
  writeManualStatus,
  writeOnlineFlag,
  type LiveSockets,
  type ManualStatus,
  type Presence,
  type PresenceChange,
} from './presence.ts';
import { PUSHES } from './pushes.ts';

export interface Realtime {
  readonly io: Server<Events, Events, Events, SocketData>;
  // Pushes name their spec (pushes.ts), so each one is in /api/asyncapi.json with the payload it carries.
  toUser<T>(staffId: string, push: PushSpec<T>, payload: NoInfer<T>): void;
  toTeam<T>(teamId: string, push: PushSpec<T>, payload: NoInfer<T>): void;
  toOrganisation<T>(organisationId: string, push: PushSpec<T>, payload: NoInfer<T>): void;
  /** Emits to a named room that sockets joined through a command (e.g. an urgent queue). */
  toRoom<T>(room: string, push: PushSpec<T>, payload: NoInfer<T>): void;
  /** Drops every socket opened with this token, on every node (sign-out, revocation). */
  disconnectToken(tokenHash: Buffer): void;
  /** Effective presence of each person asked for; unknown people are offline. */
  getPresence(staffIds: string[]): Promise<Map<string, Presence>>;
  /** Sets a person's manual status and announces the change. Undefined when the person does not exist. */
  setManualStatus(staffId: string, status: ManualStatus, until: Date | null): Promise<PresenceChange | undefined>;
  /**
   * Calls `listener` with each presence change this node announces (one node
   * announces each change), e.g. so ringing stops ringing someone who went offline.
   */
  onPresenceChange(listener: (change: PresenceChange) => void | Promise<void>): void;
  close(): Promise<void>;
}

interface SocketData {
  actor: Actor;
  teamIds: string[];
}
// Event names stay open: other capabilities push their own events through the helpers.
type Events = DefaultEventsMap;
type RinkiSocket = Socket<Events, Events, Events, SocketData>;
type Ack = (answer: unknown) => void;

/** The acknowledgement callback Socket.IO passes last when the client asked for one (removed from args), else a no-op. */
function ackOf(args: unknown[]): Ack {
  return typeof args.at(-1) === 'function' ? (args.pop() as Ack) : () => undefined;
}

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{20,200}$/;
/** How often each node re-checks that its sockets' tokens are still valid (expiry, deactivation). */
const TOKEN_RECHECK_MS = 60_000;
/** The expiry timer wakes at least this often, to pick up expiries set on a node that died. */
const EXPIRY_SWEEP_MS = 60_000;
const EXPIRY_CHANNEL = 'realtime:presence-expiry';

const roomOfToken = (tokenHash: Buffer) => `token:${tokenHash.toString('hex')}`;

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of header?.split(';') ?? []) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export async function attachRealtime(deps: Deps, server: http.Server, commands: readonly SocketCommand[] = []): Promise<Realtime> {
  const { config, db, log, bus, clock } = deps;
  const commandNames = new Set(commands.map((c) => c.name));
  if (commandNames.size !== commands.length) throw new Error('two socket commands share a name');
  const publicOrigin = new URL(config.publicUrl).origin;

  const io = new Server<Events, Events, Events, SocketData>(server, {
    path: '/socket.io',
    serveClient: false,
    maxHttpBufferSize: 64 * 1024,
    // Browsers send Origin on WebSocket and cross-site requests: refusing other
    // origins stops another site from riding the session cookie (CSWSH).
    allowRequest: (req, cb) => {
      const origin = req.headers.origin;
      cb(null, origin === undefined || origin === publicOrigin);
    },
  });

  let adapterClients: Redis[] = [];
  let live: LiveSockets;
  if (bus.redis) {
    const pub = bus.redis.duplicate();
    // The subscriber waits for messages by nature: no command timeout on it.
    const sub = bus.redis.duplicate({ enableAutoPipelining: false, commandTimeout: undefined });
    watchRedis(pub, 'socket.io publisher', log);
    watchRedis(sub, 'socket.io subscriber', log);
    adapterClients = [pub, sub];
    await Promise.all(adapterClients.map((c) => (c.status === 'wait' ? c.connect() : undefined)));
    io.adapter(createAdapter(pub, sub, { key: `${config.redisPrefix}socket.io` }));
    const redisLive = new RedisLiveSockets(
      bus.redis,
      config.redisPrefix,
      config.nodeName,
      (staffIds) => staffIds.forEach((id) => announce(id)),
      (err) => log.warn({ err }, 'presence heartbeat failed'),
    );
    await redisLive.start();
    live = redisLive;
  } else {
    live = new LocalLiveSockets();
  }

  let closing = false;

  async function getPresence(staffIds: string[]): Promise<Map<string, Presence>> {
    const ids = [...new Set(staffIds)];
    const [online, manual] = await Promise.all([live.onlineAmong(ids), readManualStatuses(db, ids)]);
    const now = clock.now();
    return new Map(ids.map((id) => [id, effectivePresence(online.has(id), manual.get(id), now)]));
  }

  async function rootOrganisationOf(staffId: string): Promise<string | undefined> {
    return (await deps.directory.snapshot()).rootOf(staffId);
  }

  // Announcements for one person run one after another on this node, so a
  // quick connect-disconnect cannot reach watchers in the wrong order.
  const announcing = new Map<string, Promise<unknown>>();
  const presenceListeners: ((change: PresenceChange) => void | Promise<void>)[] = [];
  function announce(staffId: string, rootOrganisationId?: string): Promise<PresenceChange | undefined> {
    const previous = announcing.get(staffId) ?? Promise.resolve();
    const next = previous.then(async () => {
      if (closing) return undefined;
      const root = rootOrganisationId ?? (await rootOrganisationOf(staffId));
      const presence = (await getPresence([staffId])).get(staffId)!;
      const change: PresenceChange = {
        staffId,
        status: presence.status,
        until: presence.until?.toISOString() ?? null,
        changedAt: clock.now().toISOString(),
      };
      io.to([`presence:${staffId}`, ...(root ? [`org:${root}`] : [])]).emit(PUSHES.presence.name, change);
      for (const listener of presenceListeners) {
        void Promise.resolve()
          .then(() => listener(change))
          .catch((err: unknown) => log.error({ err, staffId }, 'presence listener failed'));
      }
      return change;
    });
    const settled = next.catch((err) => {
      if (!closing) log.error({ err, staffId }, 'presence announcement failed');
      return undefined;
    });
    announcing.set(staffId, settled);
    void settled.then(() => {
      if (announcing.get(staffId) === settled) announcing.delete(staffId);
    });
    return next;
  }

  async function setManualStatus(staffId: string, status: ManualStatus, until: Date | null): Promise<PresenceChange | undefined> {
    if (!(await deps.directory.snapshot()).staff(staffId)) return undefined;
    await writeManualStatus(db, staffId, status, until, clock.now());
    if (until) await bus.publish(EXPIRY_CHANNEL, { at: until.toISOString() });
    return announce(staffId);
  }

  // ---- manual status expiry: one timer per node for the soonest expiry ----
  let wakeAt = Infinity;
  let expiryTimer: NodeJS.Timeout | undefined;
  function scheduleExpiry(at: Date): void {
    if (closing || at.getTime() >= wakeAt) return;
    wakeAt = at.getTime();
    clearTimeout(expiryTimer);
    expiryTimer = setTimeout(() => void runExpiry(), Math.max(0, wakeAt - clock.now().getTime())).unref();
  }
  async function runExpiry(): Promise<void> {
    wakeAt = Infinity;
    const now = clock.now();
    try {
      for (const { staffId } of await expireManualStatuses(db, now)) void announce(staffId);
      const next = await nextManualExpiry(db);
      const sweep = new Date(now.getTime() + EXPIRY_SWEEP_MS);
      scheduleExpiry(next && next < sweep ? next : sweep);
    } catch (err) {
      if (closing) return;
      log.error({ err }, 'presence expiry failed');
      scheduleExpiry(new Date(clock.now().getTime() + EXPIRY_SWEEP_MS));
    }
  }
  const unsubscribeExpiry = bus.subscribe(EXPIRY_CHANNEL, (m) => {
    const at = new Date(String((m as { at?: unknown })?.at));
    if (!Number.isNaN(at.getTime())) scheduleExpiry(at);
  });
  await runExpiry();

  // ---- token re-check: expiry, revocation by other means, deactivation ----
  async function recheckTokens(): Promise<void> {
    const sockets = [...io.of('/').sockets.values()];
    const hashes = [...new Set(sockets.map((s) => s.data.actor.tokenHash.toString('hex')))];
    if (!hashes.length) return;
    const valid = await liveTokenHashes(deps.directory, db, hashes, clock.now());
    for (const s of sockets) if (!valid.has(s.data.actor.tokenHash.toString('hex'))) s.disconnect(true);
  }
  const recheckTimer = setInterval(() => {
    recheckTokens().catch((err) => log.warn({ err }, 'socket token re-check failed'));
  }, TOKEN_RECHECK_MS).unref();

  // ---- authentication ----
  io.use(async (socket, next) => {
    try {
      const { auth, headers } = socket.handshake;
      const bearer = (auth as { token?: unknown } | undefined)?.token;
      let actor: Actor | undefined;
      if (bearer !== undefined) {
        if (typeof bearer === 'string' && TOKEN_PATTERN.test(bearer))
          actor = await actorForToken(deps.directory, db, bearer, 'bearer', clock.now(), ['api']);
      } else {
        const cookie = cookieValue(headers.cookie, SESSION_COOKIE);
        if (cookie && TOKEN_PATTERN.test(cookie)) actor = await actorForToken(deps.directory, db, cookie, 'cookie', clock.now(), ['web']);
      }
      if (!actor) return next(new Error('unauthorized'));
      socket.data.actor = actor;
      socket.data.teamIds = [...((await deps.directory.snapshot()).staff(actor.staffId)?.teamIds ?? [])];
      next();
    } catch (err) {
      log.error({ err }, 'socket authentication failed');
      next(new Error('unavailable'));
    }
  });

  // Handlers are registered synchronously, so no event sent right after connecting is lost.
  io.on('connection', (socket: RinkiSocket) => {
    const { actor, teamIds } = socket.data;
    const staffId = actor.staffId;
    void socket.join([
      `user:${staffId}`,
      `org:${actor.rootOrganisationId}`,
      `org:${actor.organisationId}`,
      ...teamIds.map((t) => `team:${t}`),
      roomOfToken(actor.tokenHash),
    ]);

    const ctx: CommandContext = {
      actor,
      rooms: socket.rooms,
      join: async (rooms) => void (await socket.join(rooms)),
      leave: async (room) => void (await socket.leave(room)),
    };
    for (const command of commands) {
      socket.on(command.name, async (...args: unknown[]) => {
        const reply = ackOf(args);
        try {
          reply(await command.answer(ctx, args[0]));
        } catch (err) {
          log.error({ err, event: command.name }, 'socket command failed');
          reply(refusal(new HttpError(500, 'internal', 'Internal error')));
        }
      });
    }
    // An event no command answers is refused, so the caller is not left waiting for an acknowledgement.
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (!commandNames.has(event as string)) ackOf(args)(refusal(notFound(`No such command: ${String(event).slice(0, 100)}`)));
    });

    socket.on('disconnect', () => {
      if (closing) return;
      void (async () => {
        if (!(await live.remove(staffId))) return;
        // Last socket here; announce offline only when no other node has one.
        if ((await live.onlineAmong([staffId])).has(staffId)) return;
        await writeOnlineFlag(db, staffId, false, clock.now());
        await announce(staffId, actor.rootOrganisationId);
      })().catch((err) => {
        if (!closing) log.error({ err }, 'presence update on disconnect failed');
      });
    });

    void (async () => {
      // First socket here: announce even if another node has one too; a repeat is harmless.
      if (!(await live.add(staffId))) return;
      await writeOnlineFlag(db, staffId, true, clock.now());
      await announce(staffId, actor.rootOrganisationId);
    })().catch((err) => {
      if (!closing) log.error({ err }, 'presence update on connect failed');
    });
  });

  return {
    onPresenceChange(listener) {
      presenceListeners.push(listener);
    },
    io,
    toUser: (staffId, push, payload) => void io.to(`user:${staffId}`).emit(push.name, payload),
    toTeam: (teamId, push, payload) => void io.to(`team:${teamId}`).emit(push.name, payload),
    toRoom: (room, push, payload) => void io.to(room).emit(push.name, payload),
    toOrganisation: (organisationId, push, payload) => void io.to(`org:${organisationId}`).emit(push.name, payload),
    disconnectToken: (tokenHash) => io.in(roomOfToken(tokenHash)).disconnectSockets(true),
    getPresence,
    setManualStatus,
    async close() {
      // Not io.close(): that also closes the HTTP server and waits for its
      // keep-alive connections; rinki.ts closes the server itself.
      closing = true;
      clearTimeout(expiryTimer);
      clearInterval(recheckTimer);
      unsubscribeExpiry();
      io.local.disconnectSockets(true);
      await io.of('/').adapter.close();
      io.engine.close();
      await live.close().catch((err) => log.warn({ err }, 'presence cleanup failed'));
      for (const c of adapterClients) c.disconnect();
    },
  };
}
