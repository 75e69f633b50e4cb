// The Matrix Client-Server API subset matrix-js-sdk needs, under /_matrix.
// Bodies are parsed here (M_NOT_JSON, M_BAD_JSON), errors take the spec's
// {errcode, error} shape, unknown endpoints are M_UNRECOGNIZED (404, or 405 for
// a known path with another method). Handlers stay thin: rooms.ts, keys.ts,
// room-data.ts and sync.ts hold the rules.
import express, { type Request, type RequestHandler } from 'express';
import { rateLimit, type AugmentedRequest } from 'express-rate-limit';
import { RedisStore, type RedisReply } from 'rate-limit-redis';
import { createHmac } from 'node:crypto';
import { z, type ZodType } from 'zod';
import { revokeDeviceTokens } from '../auth/tokens.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { NOT_STORABLE, mayHoldUnstorable, storable } from '../http/storable.ts';
import { hashTokenHex } from '../crypto/sodium.ts';
import { type Caller, type MatrixContext } from './context.ts';
import { MatrixError, badShape, mxForbidden, mxInvalidParam, mxLimitExceeded, mxNotFound, mxUnknown, mxUnknownToken } from './errors.ts';
import { CORS_HEADERS, MatrixFront, type MatrixRequest, type MatrixResponse, type Method, type Step, writeHead } from './http.ts';
import { checkPassword, consumeLoginToken, issueMatrixLoginToken, openSession, passwordSignIn, refreshSession, type SignIn } from './login.ts';
import { claimKeys, deleteDevice, keyChanges, listDevices, queryKeys, renameDevice, sendToDevice, sharingUsers, uploadKeys } from './keys.ts';
import { ENCRYPTED, createRoom, forget, invite, join, leave, sendMessageEvent, setState } from './rooms.ts';
import { megolmContent } from './conference-content.ts';
import {
  eventContext,
  getAccountData,
  getEvent,
  joinedMembers,
  joinedRooms,
  markRead,
  members,
  messages,
  roomState,
  roomStateContent,
  setAccountData,
  setTyping,
} from './room-data.ts';
import { sync } from './sync.ts';
import { uploadDeviceSigning, uploadSignatures } from './cross-signing.ts';
import { ssoFallbackTarget, uiaOperation, userInteractiveAuth } from './uia.ts';
import { createMedia, downloadMedia, thumbnail, uploadMedia, uploadToCreated } from './media.ts';
import { defaultPushRules } from './pushrules.ts';
import { headPos, parseStreamToken } from './stream.ts';

export const SPEC_VERSIONS = ['v1.11', 'v1.12'];

interface HandlerArgs {
  req: MatrixRequest;
  res: MatrixResponse;
  caller: Caller;
  /** The request body as a JSON object (M_NOT_JSON / M_BAD_JSON otherwise); `{}` when empty and allowed. */
  body<T>(schema: ZodType<T>, opts?: { allowEmpty?: boolean }): T;
  /** The body's JSON text, as sent, once it passed as body(schema) would: for content stored and passed on unchanged. */
  bodyText(schema: ZodType<unknown>): string;
  params: Record<string, string>;
  query: Record<string, string | undefined>;
}

type Handler = (a: HandlerArgs) => Promise<unknown>;

const obj = z.record(z.string(), z.unknown());

function parseBody<T>(req: MatrixRequest, schema: ZodType<T>, allowEmpty: boolean): { value: T; text: string } {
  const raw = req.body as unknown;
  let value: unknown;
  let text = '{}';
  if (!Buffer.isBuffer(raw) || raw.length === 0) {
    if (!allowEmpty) throw new MatrixError(400, 'M_NOT_JSON', 'Content not JSON');
    value = {};
  } else {
    try {
      text = raw.toString('utf8');
      value = JSON.parse(text);
    } catch {
      throw new MatrixError(400, 'M_NOT_JSON', 'Content not JSON');
    }
    if (mayHoldUnstorable(text) && !storable(value)) throw new MatrixError(400, 'M_BAD_JSON', NOT_STORABLE);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MatrixError(400, 'M_BAD_JSON', 'Content must be a JSON object');
  const r = schema.safeParse(value);
  if (!r.success) throw badShape(r.error);
  return { value: r.data, text };
}

/** Resolves the caller from a Matrix access token (Authorization header or the deprecated access_token parameter). */
function matrixAuth(ctx: MatrixContext): Step {
  return async (req, res) => {
    const header = req.headers.authorization;
    const fromQuery = req.query.access_token;
    const token = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : fromQuery;
    if (!token && !header) throw new MatrixError(401, 'M_MISSING_TOKEN', 'Missing access token');
    if (!token || token.length > 200) throw mxUnknownToken(false);
    const caller = await ctx.tokens.caller(await hashTokenHex(token));
    if (!caller || caller === 'expired') throw mxUnknownToken(caller === 'expired');
    res.locals.caller = caller;
  };
}

/** A rate limit as a step of the Matrix front (express-rate-limit's counting and stores, node's request and response). */
function limiter(
  deps: Deps,
  name: string,
  opts: { max: number; windowMs: number },
  key: (req: MatrixRequest, res: MatrixResponse) => string,
  o: { failedOnly: boolean; acrossNodes: boolean },
): Step {
  const redis = o.acrossNodes ? deps.bus.redis : undefined;
  const middleware = rateLimit({
    windowMs: opts.windowMs,
    limit: opts.max,
    skipSuccessfulRequests: o.failedOnly,
    standardHeaders: false,
    legacyHeaders: false,
    // Its checks are of Express's request; the front hands it node's (keys come from the caller or front.ipOf, not req.ip).
    validate: false,
    keyGenerator: (req, res) => key(req as unknown as MatrixRequest, res as unknown as MatrixResponse),
    ...(redis
      ? {
          store: new RedisStore({
            prefix: `${deps.config.redisPrefix}rl:${name}:`,
            sendCommand: (command: string, ...args: string[]) => redis.call(command, ...args) as Promise<RedisReply>,
          }),
        }
      : {}),
    handler: (req, _res, next) => {
      const reset = (req as AugmentedRequest).rateLimit?.resetTime?.getTime();
      next(mxLimitExceeded(Math.max(1, (reset ?? Date.now() + opts.windowMs) - Date.now())));
    },
  });
  return (req, res) =>
    new Promise<void>((resolve, reject) => {
      void middleware(req as unknown as Request, res as unknown as Parameters<RequestHandler>[1], (err?: unknown) => (err ? reject(err) : resolve()));
    });
}

/** CORS for /.well-known/matrix, which stays on Express. */
const cors: RequestHandler = (req, res, next) => {
  for (const [k, v] of Object.entries(CORS_HEADERS)) res.setHeader(k, v);
  if (req.method === 'OPTIONS') res.status(204).end();
  else next();
};

class MatrixRoutes {
  readonly front: MatrixFront;
  readonly auth: Step;

  constructor(readonly ctx: MatrixContext) {
    this.auth = matrixAuth(ctx);
    this.front = new MatrixFront(ctx.deps.log, { bodyLimitBytes: ctx.deps.config.bodyLimitBytes, trustProxy: ctx.deps.config.trustProxy });
  }

  on(method: Method, path: string, opts: { public?: boolean; before?: Step[]; streamsBody?: boolean }, handler: Handler): void {
    this.front.add(
      method,
      path,
      [...(opts.public ? [] : [this.auth]), ...(opts.before ?? [])],
      (req, res) =>
        handler({
          req,
          res,
          caller: res.locals.caller as Caller,
          body: (schema, o) => parseBody(req, schema, o?.allowEmpty ?? false).value,
          bodyText: (schema) => parseBody(req, schema, false).text,
          params: req.params,
          query: req.query,
        }),
      opts.streamsBody,
    );
  }
}

function requireSelf(caller: Caller, userId: string): void {
  if (userId !== caller.userId) throw mxForbidden('You can only do this for yourself');
}

// ---- request shapes (unknown fields are allowed, as the spec asks) ----

const loginBody = z.looseObject({
  type: z.string(),
  identifier: z.looseObject({ type: z.string(), user: z.string().optional() }).optional(),
  user: z.string().optional(),
  password: z.string().optional(),
  token: z.string().optional(),
  device_id: z.string().optional(),
  initial_device_display_name: z.string().max(200).optional(),
  refresh_token: z.boolean().optional(),
});
const refreshBody = z.looseObject({ refresh_token: z.string().min(1).max(200) });

const stateEventShape = z.looseObject({ type: z.string().min(1), state_key: z.string().optional(), content: obj });
const createRoomBody = z.looseObject({
  visibility: z.enum(['public', 'private']).optional(),
  room_alias_name: z.string().optional(),
  name: z.string().max(255).optional(),
  topic: z.string().max(1000).optional(),
  invite: z.array(z.string()).max(100).optional(),
  invite_3pid: z.array(z.unknown()).optional(),
  room_version: z.string().optional(),
  creation_content: obj.optional(),
  initial_state: z.array(stateEventShape).max(50).optional(),
  preset: z.enum(['private_chat', 'public_chat', 'trusted_private_chat']).optional(),
  is_direct: z.boolean().optional(),
  power_level_content_override: obj.optional(),
});
/** A membership change's reason would be free text stored readable in the room: a conference takes none. */
const noReason = z.string().max(0, 'a case conference stores no reason (free text)').optional();
const userIdBody = z.looseObject({ user_id: z.string(), reason: noReason });
const reasonBody = z.looseObject({ reason: noReason });
const filterBody = z.looseObject({
  event_fields: z.array(z.string()).optional(),
  event_format: z.enum(['client', 'federation']).optional(),
  presence: obj.optional(),
  account_data: obj.optional(),
  room: z
    .looseObject({
      include_leave: z.boolean().optional(),
      timeline: z.looseObject({ limit: z.number().int().min(0).optional() }).optional(),
    })
    .optional(),
});
const deviceKeysShape = z.looseObject({
  user_id: z.string(),
  device_id: z.string(),
  algorithms: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures: z.record(z.string(), z.record(z.string(), z.string())),
});
const keyShape = z.union([z.string(), z.looseObject({ key: z.string() })]);
const keysUploadBody = z.looseObject({
  device_keys: deviceKeysShape.optional(),
  one_time_keys: z.record(z.string(), keyShape).optional(),
  fallback_keys: z.record(z.string(), keyShape).optional(),
});
const keysQueryBody = z.looseObject({ device_keys: z.record(z.string(), z.array(z.string())), timeout: z.number().optional() });
const keysClaimBody = z.looseObject({ one_time_keys: z.record(z.string(), z.record(z.string(), z.string())), timeout: z.number().optional() });
const toDeviceBody = z.looseObject({ messages: z.record(z.string(), z.record(z.string(), obj)) });
const typingBody = z.looseObject({ typing: z.boolean(), timeout: z.number().int().min(0).optional() });
const receiptBody = z.looseObject({ thread_id: z.string().optional() });
const readMarkersBody = z.looseObject({
  'm.fully_read': z.string().optional(),
  'm.read': z.string().optional(),
  'm.read.private': z.string().optional(),
});
const deviceBody = z.looseObject({ display_name: z.string().max(200).optional() });
const uiaBody = z.looseObject({
  auth: z
    .looseObject({
      type: z.string().optional(),
      session: z.string().optional(),
      identifier: z.looseObject({ type: z.string(), user: z.string().optional() }).optional(),
      user: z.string().optional(),
      password: z.string().optional(),
    })
    .optional(),
});

const crossSigningKeyShape = z.looseObject({
  user_id: z.string(),
  usage: z.array(z.string()),
  keys: z.record(z.string(), z.string()),
  signatures: z.record(z.string(), z.record(z.string(), z.string())).optional(),
});
const deviceSigningBody = uiaBody.extend({
  master_key: crossSigningKeyShape.optional(),
  self_signing_key: crossSigningKeyShape.optional(),
  user_signing_key: crossSigningKeyShape.optional(),
});
const signedObject = z.looseObject({ signatures: z.record(z.string(), z.record(z.string(), z.string())).optional() });
const signaturesBody = z.record(z.string(), z.record(z.string(), signedObject));

type FilterJson = z.infer<typeof filterBody>;

const DEFAULT_TIMELINE_LIMIT = 10;
const MAX_TIMELINE_LIMIT = 100;

export function matrixMounts(ctx: MatrixContext): Mount[] {
  const { deps } = ctx;
  const { ids, config } = { ids: ctx.ids, config: deps.config };
  const m = new MatrixRoutes(ctx);
  const base = '/client/v3';

  // Failed sign-ins are counted by checkPassword, with REST sign-in's (auth/rate-limit.ts).
  // Sends are counted on the node that takes them, in memory, as Synapse's event creators do: a client
  // flooding a room is held back without a Redis round trip on every message.
  const sendLimit = limiter(deps, 'mxsend', config.sendRateLimit, (_req, res) => (res.locals.caller as Caller).staffId, { failedOnly: false, acrossNodes: false });

  // ---- discovery, login, session ----

  m.on('get', '/client/versions', { public: true }, async () => ({ versions: SPEC_VERSIONS, unstable_features: {} }));

  m.on('get', `${base}/login`, { public: true }, async () => ({ flows: [{ type: 'm.login.password' }, { type: 'm.login.token' }] }));

  m.on('post', `${base}/login`, { public: true }, async ({ req, body }) => {
    const b = body(loginBody);
    let signIn: SignIn;
    if (b.type === 'm.login.password') {
      if (b.identifier && b.identifier.type !== 'm.id.user') throw mxUnknown('Only m.id.user identifiers are supported');
      const user = b.identifier?.user ?? b.user;
      if (!user || b.password === undefined) throw new MatrixError(400, 'M_BAD_JSON', 'identifier.user and password are required');
      signIn = passwordSignIn(ctx, await checkPassword(ctx, user, b.password, { ip: m.front.ipOf(req) }));
    } else if (b.type === 'm.login.token') {
      if (!b.token) throw new MatrixError(400, 'M_BAD_JSON', 'token is required');
      signIn = await consumeLoginToken(ctx, b.token);
    } else throw mxUnknown('Unknown login type');
    return openSession(ctx, signIn, { deviceId: b.device_id, displayName: b.initial_device_display_name, refresh: b.refresh_token === true });
  });

  // Authenticated by the refresh token in the body, not by an access token (the client's may have expired).
  m.on('post', `${base}/refresh`, { public: true }, async ({ body }) => refreshSession(ctx, body(refreshBody).refresh_token));

  m.on('get', `${base}/account/whoami`, {}, async ({ caller }) => ({ user_id: caller.userId, device_id: caller.deviceId, is_guest: false }));

  m.on('post', `${base}/logout`, {}, async ({ caller, body }) => {
    body(obj, { allowEmpty: true });
    await deleteDevice(ctx, caller.staffId, caller.deviceId);
    return {};
  });

  m.on('post', `${base}/logout/all`, {}, async ({ caller, body }) => {
    body(obj, { allowEmpty: true });
    for (const d of await listDevices(deps.db, caller.staffId)) await deleteDevice(ctx, caller.staffId, d.device_id);
    await revokeDeviceTokens(deps.db, caller.staffId);
    await ctx.tokens.revoked([caller.staffId]);
    return {};
  });

  m.on('get', `${base}/capabilities`, {}, async () => ({
    capabilities: {
      'm.change_password': { enabled: false },
      'm.room_versions': { default: '10', available: { '10': 'stable' } },
      'm.set_displayname': { enabled: false },
      'm.set_avatar_url': { enabled: false },
      'm.3pid_changes': { enabled: false },
    },
  }));

  m.on('get', `${base}/pushrules`, {}, async ({ caller }) => defaultPushRules(caller.userId));

  // ---- filters and sync ----

  m.on('post', `${base}/user/:userId/filter`, {}, async ({ caller, params, body }) => {
    requireSelf(caller, params.userId);
    const filter = body(filterBody);
    const rows = await deps.db.query<{ filter_id: number }>('INSERT INTO matrix_filters (staff_id, filter) VALUES ($1, $2::jsonb) RETURNING filter_id', [
      caller.staffId,
      JSON.stringify(filter),
    ]);
    return { filter_id: String(rows[0].filter_id) };
  });

  m.on('get', `${base}/user/:userId/filter/:filterId`, {}, async ({ caller, params }) => {
    requireSelf(caller, params.userId);
    const filter = /^\d{1,15}$/.test(params.filterId) ? await storedFilter(caller, params.filterId) : undefined;
    if (!filter) throw mxNotFound('No such filter');
    return filter;
  });

  /** Stored filters never change, and a client names its filter on every long-poll: kept once read. */
  const storedFilters = new Map<string, FilterJson>();
  async function storedFilter(caller: Caller, filterId: string): Promise<FilterJson | undefined> {
    const key = `${caller.staffId}\u0000${filterId}`;
    const known = storedFilters.get(key);
    if (known) return known;
    const rows = await deps.db.query<{ filter: FilterJson }>('SELECT filter FROM matrix_filters WHERE filter_id = $1 AND staff_id = $2', [
      Number(filterId),
      caller.staffId,
    ]);
    const filter = rows[0]?.filter;
    if (filter) {
      if (storedFilters.size >= 10_000) storedFilters.clear();
      storedFilters.set(key, filter);
    }
    return filter;
  }

  /** Inline filters as clients repeat them on every long-poll, checked once. */
  const inlineFilters = new Map<string, FilterJson>();
  function inlineFilter(text: string): FilterJson {
    const known = inlineFilters.get(text);
    if (known) return known;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new MatrixError(400, 'M_NOT_JSON', 'filter is not JSON');
    }
    const r = filterBody.safeParse(parsed);
    if (!r.success) throw badShape(r.error);
    if (inlineFilters.size >= 1_000) inlineFilters.clear();
    inlineFilters.set(text, r.data);
    return r.data;
  }

  m.on('get', `${base}/sync`, {}, async ({ res, caller, query }) => {
    let filter: FilterJson = {};
    if (query.filter?.trimStart().startsWith('{')) {
      filter = inlineFilter(query.filter);
    } else if (query.filter) {
      const stored = /^\d{1,15}$/.test(query.filter) ? await storedFilter(caller, query.filter) : undefined;
      if (!stored) throw mxInvalidParam('No such filter');
      filter = stored;
    }
    const since = query.since === undefined ? undefined : parseStreamToken(query.since);
    if (query.since !== undefined && since === undefined) throw mxInvalidParam('since is not a valid token');
    if (query.set_presence !== undefined && !['online', 'offline', 'unavailable'].includes(query.set_presence))
      throw mxInvalidParam('set_presence must be online, offline or unavailable');
    const timeout = query.timeout === undefined ? 0 : Number(query.timeout);
    if (!Number.isFinite(timeout) || timeout < 0) throw mxInvalidParam('timeout must be a non-negative number');
    // Returned, not awaited: this handler's frame is not kept through the wait.
    return sync(
      ctx,
      caller,
      {
        since,
        fullState: query.full_state === 'true',
        timelineLimit: Math.min(filter.room?.timeline?.limit ?? DEFAULT_TIMELINE_LIMIT, MAX_TIMELINE_LIMIT),
        includeLeave: filter.room?.include_leave ?? false,
        timeoutMs: timeout,
      },
      res,
      query.since,
    );
  });

  // ---- rooms ----

  m.on('post', `${base}/createRoom`, {}, async ({ caller, body }) => createRoom(ctx, caller, body(createRoomBody)));

  m.on('get', `${base}/joined_rooms`, {}, async ({ caller }) => joinedRooms(deps.db, caller));

  m.on('post', `${base}/rooms/:roomId/invite`, {}, async ({ caller, params, body }) => {
    const b = body(userIdBody);
    await invite(ctx, caller, params.roomId, b.user_id, b.reason);
    return {};
  });

  m.on('post', `${base}/join/:roomIdOrAlias`, {}, async ({ caller, params, body }) => {
    body(obj, { allowEmpty: true });
    return join(ctx, caller, params.roomIdOrAlias);
  });
  m.on('post', `${base}/rooms/:roomId/join`, {}, async ({ caller, params, body }) => {
    body(obj, { allowEmpty: true });
    return join(ctx, caller, params.roomId);
  });

  m.on('post', `${base}/rooms/:roomId/leave`, {}, async ({ caller, params, body }) => {
    const b = body(reasonBody, { allowEmpty: true });
    await leave(ctx, caller, params.roomId, undefined, b.reason);
    return {};
  });

  m.on('post', `${base}/rooms/:roomId/forget`, {}, async ({ caller, params, body }) => {
    body(obj, { allowEmpty: true });
    await forget(ctx, caller, params.roomId);
    return {};
  });

  m.on('post', `${base}/rooms/:roomId/kick`, {}, async ({ caller, params, body }) => {
    const b = body(userIdBody);
    if (!ids.staffId(b.user_id)) throw mxForbidden('This person is not in the room');
    await leave(ctx, caller, params.roomId, b.user_id, b.reason);
    return {};
  });

  m.on('get', `${base}/rooms/:roomId/members`, {}, async ({ caller, params, query }) =>
    members(ctx, caller, params.roomId, { membership: query.membership, not_membership: query.not_membership }),
  );
  m.on('get', `${base}/rooms/:roomId/joined_members`, {}, async ({ caller, params }) => joinedMembers(ctx, caller, params.roomId));
  m.on('get', `${base}/rooms/:roomId/state`, {}, async ({ caller, params }) => roomState(ctx, caller, params.roomId));
  m.on('get', `${base}/rooms/:roomId/state/:eventType{/:stateKey}`, {}, async ({ caller, params }) =>
    roomStateContent(ctx, caller, params.roomId, params.eventType, params.stateKey ?? ''),
  );
  m.on('put', `${base}/rooms/:roomId/state/:eventType{/:stateKey}`, { before: [sendLimit] }, async ({ caller, params, body }) =>
    setState(ctx, caller, params.roomId, params.eventType, params.stateKey ?? '', body(obj)),
  );

  // Megolm ciphertext only, nothing readable beside it (other event types are refused as plaintext in sendMessageEvent).
  m.on('put', `${base}/rooms/:roomId/send/:eventType/:txnId`, { before: [sendLimit] }, async ({ caller, params, bodyText }) =>
    sendMessageEvent(ctx, caller, params.roomId, params.eventType, params.txnId, bodyText(params.eventType === ENCRYPTED ? megolmContent : obj)),
  );

  m.on('get', `${base}/rooms/:roomId/messages`, {}, async ({ caller, params, query }) =>
    messages(ctx, caller, params.roomId, { dir: query.dir ?? '', from: query.from, to: query.to, limit: query.limit }),
  );
  m.on('get', `${base}/rooms/:roomId/context/:eventId`, {}, async ({ caller, params, query }) =>
    eventContext(ctx, caller, params.roomId, params.eventId, query.limit),
  );
  m.on('get', `${base}/rooms/:roomId/event/:eventId`, {}, async ({ caller, params }) => getEvent(ctx, caller, params.roomId, params.eventId));

  m.on('put', `${base}/rooms/:roomId/typing/:userId`, {}, async ({ caller, params, body }) => {
    requireSelf(caller, params.userId);
    const b = body(typingBody);
    await setTyping(ctx, caller, params.roomId, b.typing, b.timeout ?? 30_000);
    return {};
  });

  m.on('post', `${base}/rooms/:roomId/receipt/:receiptType/:eventId`, {}, async ({ caller, params, body }) => {
    const b = body(receiptBody, { allowEmpty: true });
    await markRead(ctx, caller, params.roomId, { [params.receiptType]: params.eventId }, b.thread_id === 'main' ? '' : (b.thread_id ?? ''));
    return {};
  });

  m.on('post', `${base}/rooms/:roomId/read_markers`, {}, async ({ caller, params, body }) => {
    const b = body(readMarkersBody);
    const marks: Record<string, string> = {};
    for (const k of ['m.fully_read', 'm.read', 'm.read.private'] as const) if (b[k]) marks[k] = b[k];
    await markRead(ctx, caller, params.roomId, marks);
    return {};
  });

  // ---- account data, profile ----

  m.on('get', `${base}/user/:userId/account_data/:type`, {}, async ({ caller, params }) => {
    requireSelf(caller, params.userId);
    return getAccountData(ctx, caller, '', params.type);
  });
  m.on('put', `${base}/user/:userId/account_data/:type`, {}, async ({ caller, params, body }) => {
    requireSelf(caller, params.userId);
    await setAccountData(ctx, caller, '', params.type, body(obj));
    return {};
  });
  m.on('get', `${base}/user/:userId/rooms/:roomId/account_data/:type`, {}, async ({ caller, params }) => {
    requireSelf(caller, params.userId);
    return getAccountData(ctx, caller, params.roomId, params.type);
  });
  m.on('put', `${base}/user/:userId/rooms/:roomId/account_data/:type`, {}, async ({ caller, params, body }) => {
    requireSelf(caller, params.userId);
    await setAccountData(ctx, caller, params.roomId, params.type, body(obj));
    return {};
  });

  m.on('get', `${base}/profile/:userId`, {}, async ({ caller, params }) => {
    const staffId = ids.staffId(params.userId);
    // Profiles of people one shares no room with are not found, as if they did not exist.
    if (!staffId || !(await sharingUsers(deps.db, caller.staffId)).has(staffId)) throw mxNotFound('Profile not found');
    return { displayname: (await deps.directory.snapshot()).staff(staffId)?.displayName };
  });

  // ---- end-to-end keys, to-device ----

  m.on('post', `${base}/keys/upload`, {}, async ({ caller, body }) => uploadKeys(ctx, caller, body(keysUploadBody)));
  m.on('post', `${base}/keys/query`, {}, async ({ caller, body }) => queryKeys(ctx, caller, body(keysQueryBody).device_keys));
  m.on('post', `${base}/keys/device_signing/upload`, {}, async ({ req, caller, body }) => {
    const b = body(deviceSigningBody);
    await uploadDeviceSigning(ctx, caller, b, () => userInteractiveAuth(ctx, caller, uiaOperation(req, b), b.auth, m.front.ipOf(req)));
    return {};
  });
  m.on('post', `${base}/keys/signatures/upload`, {}, async ({ caller, body }) => uploadSignatures(ctx, caller, body(signaturesBody)));
  m.on('post', `${base}/keys/claim`, {}, async ({ caller, body }) => claimKeys(ctx, caller, body(keysClaimBody).one_time_keys));
  m.on('get', `${base}/keys/changes`, {}, async ({ caller, query }) => {
    const from = query.from === undefined ? undefined : parseStreamToken(query.from);
    const to = query.to === undefined ? await headPos(deps.db) : parseStreamToken(query.to);
    if (from === undefined || to === undefined) throw mxInvalidParam('from and to must be sync tokens');
    return keyChanges(ctx, caller, from, to);
  });

  m.on('put', `${base}/sendToDevice/:eventType/:txnId`, {}, async ({ caller, params, body }) => {
    await sendToDevice(ctx, caller, params.eventType, params.txnId, body(toDeviceBody).messages);
    return {};
  });

  // Server-side key backup is not offered yet: clients see "no backup".
  m.on('get', `${base}/room_keys/version`, {}, async () => {
    throw mxNotFound('No current backup version');
  });

  // ---- media (authenticated, spec v1.11) ----

  m.on('post', '/media/v3/upload', { streamsBody: true }, async ({ req, caller, query }) => uploadMedia(ctx, caller, req, query.filename));
  m.on('post', '/media/v1/create', {}, async ({ caller }) => createMedia(ctx, caller));
  m.on('put', '/media/v3/upload/:serverName/:mediaId', { streamsBody: true }, async ({ req, caller, params, query }) =>
    uploadToCreated(ctx, caller, req, params.serverName, params.mediaId, query.filename),
  );
  m.on('get', '/client/v1/media/config', {}, async () => ({ 'm.upload.size': config.mediaMaxBytes }));
  m.on('get', '/client/v1/media/download/:serverName/:mediaId{/:fileName}', {}, async ({ res, caller, params, query }) =>
    downloadMedia(ctx, caller, res, params.serverName, params.mediaId, params.fileName, query.timeout_ms === undefined ? undefined : Number(query.timeout_ms) || 0),
  );
  m.on('get', '/client/v1/media/thumbnail/:serverName/:mediaId', {}, async ({ caller, params }) =>
    thumbnail(ctx, caller, params.serverName, params.mediaId),
  );
  // The unauthenticated media endpoints are frozen by the spec: nothing is served through them.
  for (const legacy of ['/media/v3/download/:serverName/:mediaId{/:fileName}', '/media/v3/thumbnail/:serverName/:mediaId'])
    m.on('get', legacy, { public: true }, async () => {
      throw mxNotFound('Media is only served through the authenticated /_matrix/client/v1/media endpoints');
    });
  m.on('get', '/media/v3/config', {}, async () => ({ 'm.upload.size': config.mediaMaxBytes }));

  // ---- devices ----

  m.on('get', `${base}/devices`, {}, async ({ caller }) => ({ devices: await listDevices(deps.db, caller.staffId) }));
  m.on('get', `${base}/devices/:deviceId`, {}, async ({ caller, params }) => {
    const d = (await listDevices(deps.db, caller.staffId, params.deviceId))[0];
    if (!d) throw mxNotFound('No such device');
    return d;
  });
  m.on('put', `${base}/devices/:deviceId`, {}, async ({ caller, params, body }) => {
    await renameDevice(deps.db, caller.staffId, params.deviceId, body(deviceBody).display_name);
    return {};
  });
  m.on('delete', `${base}/devices/:deviceId`, {}, async ({ req, caller, params, body }) => {
    const b = body(uiaBody, { allowEmpty: true });
    if (!(await listDevices(deps.db, caller.staffId, params.deviceId)).length) throw mxNotFound('No such device');
    await userInteractiveAuth(ctx, caller, uiaOperation(req, b), b.auth, m.front.ipOf(req));
    await deleteDevice(ctx, caller.staffId, params.deviceId);
    return {};
  });

  // ---- user-interactive auth: the SSO stage's fallback page (opened in a browser window) ----

  m.on('get', `${base}/auth/m.login.sso/fallback/web`, { public: true }, async ({ res, query }) => {
    const target = query.session ? await ssoFallbackTarget(ctx, query.session) : undefined;
    if (!target) throw mxNotFound('Unknown or expired session, or no identity provider for this account');
    writeHead(res, 302, { Location: target });
    res.end();
  });
  // The page the identity provider's callback ends on calls this (a script file: the CSP allows no inline script).
  m.on('get', `${base}/auth/fallback/done.js`, { public: true }, async ({ res }) => {
    writeHead(res, 200, { 'Content-Type': 'application/javascript; charset=utf-8' });
    res.end("if (window.onAuthDone) window.onAuthDone(); else if (window.opener && window.opener.postMessage) window.opener.postMessage('authDone', '*');\n");
  });

  // ---- the control plane hands the web app a one-time m.login.token ----

  const api = express.Router();
  route(api, {
    method: 'post',
    path: '/api/auth/matrix-login-token',
    tag: 'auth',
    summary: 'A one-time Matrix login token (m.login.token) for the signed-in person, valid two minutes, and the key that encrypts the browser’s crypto store',
    body: z.strictObject({}),
    response: z.object({ loginToken: z.string(), expiresAt: z.string(), cryptoStoreKey: z.string() }),
    handler: async ({ actor }) => {
      // Minted by this sign-in's token: the Matrix session it opens ends when this sign-in does.
      const t = await issueMatrixLoginToken(deps.db, actor.staffId, actor.tokenHash, deps.clock.now());
      // The browser keeps its Olm/Megolm keys in IndexedDB encrypted with this key: without a
      // signed-in session a copy of the browser profile does not open them.
      const cryptoStoreKey = createHmac('sha256', deps.keys.cookieSecret).update(`matrix-crypto-store:${actor.staffId}`).digest('base64');
      return { loginToken: t.loginToken, expiresAt: t.expiresAt.toISOString(), cryptoStoreKey };
    },
  });

  const wellKnown = express.Router();
  wellKnown.use(cors);
  wellKnown.get('/client', (_req, res) => {
    res.json({ 'm.homeserver': { base_url: config.publicUrl } });
  });

  return [
    { path: '/_matrix', serve: m.front.handle },
    { path: '/.well-known/matrix', router: wellKnown, ownBodyParsing: true },
    { path: '/', router: api },
  ];
}

/**
 * User-interactive authentication with one stage, m.login.password. Without
 * auth the answer is 401 with the flows; with a wrong password the same plus
 * M_FORBIDDEN, as the spec describes.
 */
