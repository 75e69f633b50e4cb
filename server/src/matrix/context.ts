// What every Matrix handler works with: the dependencies, identifiers, the
// notifier, and the caller (a staff member on one of their devices).
import { TokenOwners } from './access-tokens.ts';
import type { Deps } from '../deps.ts';
import type { Queryable } from '../store/db.ts';
import { MatrixIds } from './ids.ts';
import { Notifier } from './stream.ts';

export interface MatrixContext {
  deps: Deps;
  ids: MatrixIds;
  notifier: Notifier;
  tokens: TokenOwners;
  /** Ends the notifier's and the token cache's bus subscriptions. */
  close(): void;
}

/**
 * One per node, built by createMatrix (index.ts), which the composition root
 * calls once, and handed to whatever acts in Matrix: the notifier and the token cache each hold bus subscriptions
 * that every message batch is delivered to, so a context per request would pile them up.
 */
export function createMatrixContext(deps: Deps): MatrixContext {
  const ids = new MatrixIds(deps.config.matrixServerName);
  const notifier = new Notifier(deps.bus);
  const tokens = new TokenOwners(deps, ids);
  return {
    deps,
    ids,
    notifier,
    tokens,
    close() {
      notifier.close();
      tokens.close();
    },
  };
}

/** One object per access token, shared by all its requests: never changed. */
export interface Caller {
  readonly staffId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly rootOrganisationId: string;
}

/**
 * Runs a write in one transaction and, after it commits, wakes the long-polls
 * of the people `fn` added to `wake`.
 */
export async function write<T>(ctx: MatrixContext, fn: (q: Queryable, wake: Set<string>) => Promise<T>): Promise<T> {
  const wake = new Set<string>();
  const result = await ctx.deps.db.tx((q) => {
    wake.clear();
    return fn(q, wake);
  });
  if (wake.size) await ctx.notifier.wake(wake).catch((err: unknown) => ctx.deps.log.warn({ err }, 'matrix wake-up not published'));
  return result;
}

export interface EventRow {
  stream_pos: number;
  event_id: string;
  room_id: string;
  sender: string;
  type: string;
  state_key: string | null;
  content: Record<string, unknown>;
  origin_server_ts: number;
  sender_staff_id: string;
  device_id: string | null;
  txn_id: string | null;
}

export const EVENT_COLUMNS =
  'e.stream_pos, e.event_id, e.room_id, e.sender, e.type, e.state_key, e.content, e.origin_server_ts, e.sender_staff_id, e.device_id, e.txn_id';

/** A stored event with its content as JSON text: a message's content is passed on as it is, never parsed. */
export type MessageRow = Omit<EventRow, 'content'> & { content_json: string };

/** EVENT_COLUMNS for a MessageRow. */
export const MESSAGE_COLUMNS = EVENT_COLUMNS.replace('e.content,', 'e.content::text AS content_json,');

/** An event as clients see it; the sending device also gets its transaction id back. */
export function clientEvent(row: EventRow, viewer: Caller, now: number, withRoomId = true): Record<string, unknown> {
  const unsigned: Record<string, unknown> = { age: Math.max(0, now - Number(row.origin_server_ts)) };
  if (row.txn_id && row.sender_staff_id === viewer.staffId && row.device_id === viewer.deviceId) unsigned.transaction_id = row.txn_id;
  return {
    event_id: row.event_id,
    type: row.type,
    sender: row.sender,
    origin_server_ts: Number(row.origin_server_ts),
    content: row.content,
    ...(row.state_key !== null ? { state_key: row.state_key } : {}),
    ...(withRoomId ? { room_id: row.room_id } : {}),
    unsigned,
  };
}

/**
 * Adds clientEvent(row, viewer, now, false) to `out` as pieces of JSON text:
 * the content goes in as the text it is, never parsed, serialised or copied.
 */
export function clientEventJson(row: MessageRow, viewer: Caller, now: number, out: string[]): void {
  const ts = Number(row.origin_server_ts);
  const stateKey = row.state_key !== null ? `,"state_key":${JSON.stringify(row.state_key)}` : '';
  const txn = row.txn_id && row.sender_staff_id === viewer.staffId && row.device_id === viewer.deviceId ? `,"transaction_id":${JSON.stringify(row.txn_id)}` : '';
  out.push(
    `{"event_id":${JSON.stringify(row.event_id)},"type":${JSON.stringify(row.type)},"sender":${JSON.stringify(row.sender)},"origin_server_ts":${ts},"content":`,
    row.content_json,
    `${stateKey},"unsigned":{"age":${Math.max(0, now - ts)}${txn}}}`,
  );
}
