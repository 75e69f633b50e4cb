// The urgent queue over REST and Socket.IO ('urgent:subscribe' joins the
// region's room; every change is pushed there as 'urgent:changed').
import { Router } from 'express';
import { z } from 'zod';
import { assessInput, criteriaInput, handOverInput, urgencyCriterionView, urgentItemView } from '../../../shared/src/urgent.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { notFound } from '../http/errors.ts';
import { command, type SocketCommand } from '../realtime/api.ts';
import { escalationPolicySchema } from './escalation.ts';
import { urgentRoom, type UrgentQueue } from './queue.ts';

const TAG = 'urgent';
const regionParams = z.strictObject({ region: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,99}$/, 'a region id') });
const itemParams = z.strictObject({ id: z.uuid() });

export function urgentMounts(queue: UrgentQueue, deps: { db: Parameters<UrgentQueue['criteria']>[0] }): Mount[] {
  const api = Router();
  route(api, {
    method: 'get', path: '/api/urgent/regions/:region/criteria', tag: TAG, summary: 'The urgency criteria an urgent request in this region must cite',
    params: regionParams, response: z.array(urgencyCriterionView),
    handler: ({ params }) => queue.criteria(deps.db, params.region),
  });
  route(api, {
    method: 'put', path: '/api/urgent/regions/:region/criteria', tag: TAG, summary: 'Replace the region’s urgency criteria (admin of the region)',
    params: regionParams, body: criteriaInput, response: z.array(urgencyCriterionView),
    handler: ({ actor, params, body }) => queue.setCriteria(actor, params.region, body.criteria),
  });
  route(api, {
    method: 'get', path: '/api/urgent/regions/:region/escalation-policy', tag: TAG, summary: 'The region’s escalation policy, or 404 when it has none (admins of the region)',
    params: regionParams, response: escalationPolicySchema,
    handler: async ({ actor, params }) => {
      const policy = await queue.escalations.readPolicy(actor, params.region);
      if (!policy) throw notFound('No escalation policy');
      return policy;
    },
  });
  route(api, {
    method: 'put', path: '/api/urgent/regions/:region/escalation-policy', tag: TAG,
    summary: 'The region’s escalation policy for urgent items: levels (people, teams, on-call schedules) with delays, and loops (admin of the region)',
    params: regionParams, body: z.unknown(), response: escalationPolicySchema,
    handler: ({ actor, params, body }) => queue.escalations.savePolicy(actor, params.region, body),
  });
  route(api, {
    method: 'get', path: '/api/urgent/regions/:region/queue', tag: TAG, summary: 'The open items of the region’s urgent queue (on-call staff of the county and of Kela)',
    params: regionParams, response: z.array(urgentItemView),
    handler: ({ actor, params }) => queue.list(actor, params.region),
  });
  route(api, {
    method: 'post', path: '/api/urgent/items/:id/claim', tag: TAG, summary: 'Acknowledge and take the item',
    params: itemParams, response: urgentItemView,
    handler: ({ actor, params }) => queue.claim(actor, params.id),
  });
  route(api, {
    method: 'post', path: '/api/urgent/items/:id/assess', tag: TAG, summary: 'Urgent or not, with criteria codes (owner); not urgent is sent to the requesting organisation',
    params: itemParams, body: assessInput, response: urgentItemView,
    handler: ({ actor, params, body }) => queue.assess(actor, params.id, body.assessment, body.criteria),
  });
  route(api, {
    method: 'post', path: '/api/urgent/items/:id/hand-over', tag: TAG, summary: 'Give the item to another on-call person of the queue (owner)',
    params: itemParams, body: handOverInput, response: urgentItemView,
    handler: ({ actor, params, body }) => queue.handOver(actor, params.id, body.toStaffId),
  });
  route(api, {
    method: 'post', path: '/api/urgent/items/:id/resolve', tag: TAG, summary: 'Resolve the item (owner)',
    params: itemParams, response: urgentItemView,
    handler: ({ actor, params }) => queue.resolve(actor, params.id),
  });
  return [{ path: '/', router: api }];
}

export function urgentSocketCommands(queue: UrgentQueue): SocketCommand[] {
  return [
    command({
      name: 'urgent:subscribe',
      summary: 'Follow the region’s urgent queue on this socket: its open items now, and an urgent:changed push on each change',
      allowed: 'on-call staff of the county and of Kela',
      payload: regionParams,
      reply: z.object({ items: z.array(urgentItemView) }),
      authorise: ({ actor }, { region }) => queue.requireOnCall(actor, region),
      handler: async ({ actor, join }, { region }) => {
        await join(urgentRoom(region));
        return { items: await queue.list(actor, region) };
      },
    }),
  ];
}
