// Ringing over REST and Socket.IO: the same commands either way. Pushes go to
// each person's own socket room: 'ring:offer' and 'ring:offer-ended' to the
// people rung, 'ring:progress' to the requester (and the accepter).
import { Router } from 'express';
import { z } from 'zod';
import { leaveCallbackInput } from '../../../shared/src/callbacks.ts';
import { declineInput, ringOfferView, ringRequestInput, ringRequestView } from '../../../shared/src/ringing.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { HttpError, zodIssues } from '../http/errors.ts';
import type { SocketCommand } from '../realtime/gateway.ts';
import type { Ringing } from './service.ts';

const TAG = 'ringing';
const requestParams = z.strictObject({ requestId: z.uuid() });
const offerParams = z.strictObject({ offerId: z.uuid() });

export function ringingMounts(_deps: Deps, ringing: Ringing): Mount[] {
  const api = Router();

  route(api, {
    method: 'post', path: '/api/ringing/requests', tag: TAG, status: 201,
    summary: 'Find the counterpart for a client and ring them (the client read is logged; a repeated requestId starts nothing new)',
    body: ringRequestInput, response: ringRequestView,
    handler: ({ actor, body }) => ringing.start(actor, body),
  });

  route(api, {
    method: 'get', path: '/api/ringing/requests', tag: TAG,
    summary: 'My own requests of the last week, newest first, with their live state',
    response: z.array(ringRequestView),
    handler: ({ actor }) => ringing.mine(actor),
  });

  route(api, {
    method: 'get', path: '/api/ringing/requests/:requestId', tag: TAG,
    summary: 'A request with its live state and decision path (requester and the people it rang)',
    params: requestParams, response: ringRequestView,
    handler: ({ actor, params }) => ringing.get(actor, params.requestId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/requests/:requestId/cancel', tag: TAG,
    summary: 'Call the ring off (requester only)',
    params: requestParams, response: ringRequestView,
    handler: ({ actor, params }) => ringing.cancel(actor, params.requestId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/requests/:requestId/leave-callback', tag: TAG,
    summary: 'Stop ringing and leave a callback request for the rule’s owner team (requester only)',
    params: requestParams, body: leaveCallbackInput, response: ringRequestView,
    handler: ({ actor, params, body }) => ringing.leaveCallback(actor, params.requestId, body),
  });

  route(api, {
    method: 'get', path: '/api/ringing/offers', tag: TAG,
    summary: 'Offers ringing for me now',
    response: z.array(ringOfferView),
    handler: ({ actor }) => ringing.myOffers(actor),
  });

  route(api, {
    method: 'post', path: '/api/ringing/offers/:offerId/accept', tag: TAG,
    summary: 'Take the request: the first accept wins; opens the conference and records the identity disclosure',
    params: offerParams, response: ringRequestView,
    handler: ({ actor, params }) => ringing.accept(actor, params.offerId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/offers/:offerId/decline', tag: TAG,
    summary: 'Decline with a reason code',
    params: offerParams, body: declineInput, response: z.object({ ok: z.literal(true) }),
    handler: ({ actor, params, body }) => ringing.decline(actor, params.offerId, body.reason),
  });

  return [{ path: '/', router: api }];
}

/** The same commands for the socket: the acknowledgement is {ok: true, ...} or {ok: false, status, error}. */
export function ringingSocketCommands(ringing: Ringing): SocketCommand[] {
  const command = <T>(event: string, schema: z.ZodType<T>, run: (actor: Parameters<SocketCommand['handle']>[0]['actor'], input: T) => Promise<unknown>): SocketCommand => ({
    event,
    async handle({ actor }, payload) {
      const parsed = schema.safeParse(payload);
      if (!parsed.success) return { ok: false, status: 400, error: zodIssues(parsed.error).map((i) => `${i.path}: ${i.message}`).join('; ') };
      try {
        return { ok: true, result: await run(actor, parsed.data) };
      } catch (err) {
        if (err instanceof HttpError) return { ok: false, status: err.status, error: err.message };
        throw err;
      }
    },
  });
  return [
    command('ring:request', ringRequestInput, (actor, input) => ringing.start(actor, input)),
    command('ring:accept', offerParams, (actor, input) => ringing.accept(actor, input.offerId)),
    command('ring:decline', offerParams.extend(declineInput.shape), (actor, input) => ringing.decline(actor, input.offerId, input.reason)),
    command('ring:cancel', requestParams, (actor, input) => ringing.cancel(actor, input.requestId)),
    command('ring:leave-callback', requestParams.extend(leaveCallbackInput.shape), (actor, { requestId, ...body }) => ringing.leaveCallback(actor, requestId, body)),
  ];
}
