// Declaring a Socket.IO command once, as route() does for REST: its zod schema
// validates the payload before anything runs, and the same schemas describe it
// in /api/asyncapi.json beside the pushes the server sends (pushes.ts).
import { z, type ZodObject, type ZodType } from 'zod';
import type { Actor } from '../auth/actor.ts';
import { HttpError, invalid } from '../http/errors.ts';

/** What a command's handler may do with the socket that called it. */
export interface CommandContext {
  actor: Actor;
  /** The rooms the socket is in. */
  rooms: ReadonlySet<string>;
  join(rooms: string | string[]): Promise<void>;
  leave(room: string): Promise<void>;
}

/** A refused command: the status the same refusal has over REST and a message naming each bad field. */
export const commandRefusal = z.object({
  ok: z.literal(false),
  status: z.number().int(),
  error: z.string(),
  issues: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
export type CommandRefusal = z.infer<typeof commandRefusal>;
export type CommandAck = ({ ok: true } & Record<string, unknown>) | CommandRefusal;

export interface CommandSpec<P extends ZodType, R extends ZodObject> {
  /** The Socket.IO event name, e.g. 'ring:accept'. */
  name: string;
  summary: string;
  /**
   * Who may call it, in words (docs/access-model.md). `authorise` enforces it
   * before the handler runs; without it the service the handler calls does,
   * inside its own transaction.
   */
  allowed: string;
  payload: P;
  /** The acknowledgement's fields besides `ok: true`. */
  reply: R;
  /** Refuses a caller with the policies.ts helpers (or a service's require… check): throws an HttpError. */
  authorise?: (ctx: CommandContext, input: z.output<P>) => Promise<void> | void;
  handler: (ctx: CommandContext, input: z.output<P>) => Promise<z.input<R>>;
}

export interface SocketCommand {
  readonly name: string;
  readonly summary: string;
  readonly allowed: string;
  readonly payload: ZodType;
  readonly reply: ZodObject;
  /** Validates, authorises and runs the command: its acknowledgement. Errors other than HttpError are the gateway's to log. */
  answer(ctx: CommandContext, raw: unknown): Promise<CommandAck>;
}

export const refusal = (err: HttpError): CommandRefusal => ({ ok: false, status: err.status, error: err.message, ...(err.issues ? { issues: err.issues } : {}) });

export function command<P extends ZodType, R extends ZodObject>(spec: CommandSpec<P, R>): SocketCommand {
  const { authorise, handler, ...described } = spec;
  return {
    ...described,
    async answer(ctx, raw) {
      // A bad payload is refused before the caller is checked or anything is written.
      const parsed = spec.payload.safeParse(raw ?? {});
      if (!parsed.success) return refusal(invalid(parsed.error, 'payload'));
      try {
        await authorise?.(ctx, parsed.data);
        return { ok: true, ...(await handler(ctx, parsed.data)) };
      } catch (err) {
        if (err instanceof HttpError) return refusal(err);
        throw err;
      }
    },
  };
}

/** An event the server pushes to clients. */
export interface PushSpec<T> {
  readonly name: string;
  readonly summary: string;
  /** Who receives it, in words. */
  readonly to: string;
  readonly payload: ZodType<T>;
}

export const push = <T>(spec: PushSpec<T>): PushSpec<T> => spec;
