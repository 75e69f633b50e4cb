// Ringing over REST and Socket.IO: the same commands either way. Pushes go to
// each person's own socket room: 'ring:offer' and 'ring:offer-ended' to the
// people rung, 'ring:progress' to the requester (and the accepter).
import { Router } from 'express';
import { z } from 'zod';
import { leaveCallbackInput } from '../../../shared/src/callbacks.ts';
import { declineInput, offerRef, requestRef, ringOfferView, ringRequestInput, ringRequestView } from '../../../shared/src/ringing.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { command, type SocketCommand } from '../realtime/api.ts';
import type { Ringing } from './service.ts';

const TAG = 'ringing';

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
    params: requestRef, response: ringRequestView,
    handler: ({ actor, params }) => ringing.get(actor, params.requestId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/requests/:requestId/cancel', tag: TAG,
    summary: 'Call the ring off (requester only)',
    params: requestRef, response: ringRequestView,
    handler: ({ actor, params }) => ringing.cancel(actor, params.requestId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/requests/:requestId/leave-callback', tag: TAG,
    summary: 'Stop ringing and leave a callback request for the rule’s owner team (requester only)',
    params: requestRef, body: leaveCallbackInput, response: ringRequestView,
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
    params: offerRef, response: ringRequestView,
    handler: ({ actor, params }) => ringing.accept(actor, params.offerId),
  });

  route(api, {
    method: 'post', path: '/api/ringing/offers/:offerId/decline', tag: TAG,
    summary: 'Decline with a reason code',
    params: offerRef, body: declineInput, response: z.object({ ok: z.literal(true) }),
    handler: ({ actor, params, body }) => ringing.decline(actor, params.offerId, body.reason),
  });

  return [{ path: '/', router: api }];
}

/** The same commands over the socket; each answers {ok: true, result} with what REST answers. */
export function ringingSocketCommands(ringing: Ringing): SocketCommand[] {
  const result = z.object({ result: ringRequestView });
  return [
    command({
      name: 'ring:request', summary: 'Find the counterpart for a client and ring them (as POST /api/ringing/requests)',
      allowed: 'need to know: someone who works with clients, with a task relation to the client (checked as the client is read)',
      payload: ringRequestInput, reply: result,
      handler: async ({ actor }, input) => ({ result: await ringing.start(actor, input) }),
    }),
    command({
      name: 'ring:accept', summary: 'Take the request: the first accept wins',
      allowed: 'the person rung (checked as the offer is taken)',
      payload: offerRef, reply: result,
      handler: async ({ actor }, { offerId }) => ({ result: await ringing.accept(actor, offerId) }),
    }),
    command({
      name: 'ring:decline', summary: 'Decline with a reason code',
      allowed: 'the person rung (checked as the offer ends)',
      payload: offerRef.extend(declineInput.shape), reply: z.object({ result: z.object({ ok: z.literal(true) }) }),
      handler: async ({ actor }, { offerId, reason }) => ({ result: await ringing.decline(actor, offerId, reason) }),
    }),
    command({
      name: 'ring:cancel', summary: 'Call the ring off',
      allowed: 'the requester only (checked as the request is read)',
      payload: requestRef, reply: result,
      handler: async ({ actor }, { requestId }) => ({ result: await ringing.cancel(actor, requestId) }),
    }),
    command({
      name: 'ring:leave-callback', summary: 'Stop ringing and leave a callback request for the rule’s owner team',
      allowed: 'the requester only (checked as the request is read)',
      payload: requestRef.extend(leaveCallbackInput.shape), reply: result,
      handler: async ({ actor }, { requestId, ...body }) => ({ result: await ringing.leaveCallback(actor, requestId, body) }),
    }),
  ];
}
