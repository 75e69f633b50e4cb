// Callback requests: inputs and views shared by the server and the browser app.
import { z } from 'zod';
import { hetuSchema, naturalId } from './directory.ts';
import { REQUEST_TYPES } from './routing.ts';

export const CALLBACK_STATES = ['open', 'claimed', 'done', 'cancelled'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];
export const CALLBACK_REASONS = ['steps_exhausted', 'requester_choice', 'direct'] as const;
export type CallbackReason = (typeof CALLBACK_REASONS)[number];

const timeWindow = z
  .strictObject({ from: z.iso.datetime({ offset: true }), to: z.iso.datetime({ offset: true }) })
  .refine((w) => Date.parse(w.from) < Date.parse(w.to), { path: ['to'], message: 'must be after from' });

export const callbackChannel = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('phone'), phone: z.string().regex(/^\+?[0-9 ()-]{5,20}$/, 'a phone number') }),
  z.strictObject({ kind: z.literal('conference') }),
]);
export type CallbackChannel = z.infer<typeof callbackChannel>;

export const callbackTarget = z.union([z.strictObject({ teamId: naturalId }), z.strictObject({ staffId: naturalId })]);

export const createCallbackInput = z.strictObject({
  target: callbackTarget,
  client: z.union([z.strictObject({ hetu: hetuSchema }), z.strictObject({ applicationId: naturalId })]).optional(),
  requestType: z.enum(REQUEST_TYPES),
  windows: z.array(timeWindow).max(10).default([]),
  channel: callbackChannel.default({ kind: 'conference' }),
  /** Default: the next working day. */
  dueAt: z.iso.datetime({ offset: true }).optional(),
});
export type CreateCallbackInput = z.infer<typeof createCallbackInput>;

/** "Leave a callback request" instead of waiting for a ring. */
export const leaveCallbackInput = z.strictObject({
  windows: z.array(timeWindow).max(10).default([]),
  channel: callbackChannel.default({ kind: 'conference' }),
});

export const CALLBACK_VIEWS = ['mine', 'team', 'created'] as const;
export const callbackListQuery = z.strictObject({ view: z.enum(CALLBACK_VIEWS).default('mine') });

const person = z.object({ staffId: z.string(), displayName: z.string() });
export const callbackView = z.object({
  id: z.string(),
  state: z.enum(CALLBACK_STATES),
  reason: z.enum(CALLBACK_REASONS),
  requester: person,
  target: z.object({ teamId: z.string().nullable(), staffId: z.string().nullable(), name: z.string() }),
  owner: person.nullable(),
  requestType: z.string(),
  routingRequestId: z.string().nullable(),
  windows: z.array(z.object({ from: z.string(), to: z.string() })),
  channel: callbackChannel,
  dueAt: z.string(),
  overdue: z.boolean(),
  attempts: z.number(),
  roomId: z.string().nullable(),
  createdAt: z.string(),
  closedAt: z.string().nullable(),
  events: z.array(z.object({ at: z.string(), kind: z.string(), actorId: z.string().nullable() })),
});
export type CallbackView = z.infer<typeof callbackView>;
