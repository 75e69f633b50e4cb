// Callback requests over REST: create, lists (mine, my team's, the ones I
// created), claim, done, not reached, cancel. Changes are pushed as
// 'callback:changed' to the requester, the owner and the addressed team.
import { Router } from 'express';
import { z } from 'zod';
import { callbackListQuery, callbackView, createCallbackInput } from '../../../shared/src/callbacks.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import type { Callbacks } from './service.ts';

const TAG = 'callbacks';
const idParams = z.strictObject({ id: z.uuid() });

export function callbackMounts(callbacks: Callbacks): Mount[] {
  const api = Router();
  route(api, {
    method: 'post', path: '/api/callbacks', tag: TAG, status: 201, summary: 'Ask for a callback directly (a client read is logged)',
    body: createCallbackInput, response: callbackView,
    handler: ({ actor, body }) => callbacks.createDirect(actor, body),
  });
  route(api, {
    method: 'get', path: '/api/callbacks', tag: TAG, summary: 'Callbacks: mine (claimed by or addressed to me), my teams’, or the ones I created',
    query: callbackListQuery, response: z.array(callbackView),
    handler: ({ actor, query }) => callbacks.list(actor, query.view),
  });
  route(api, {
    method: 'get', path: '/api/callbacks/:id', tag: TAG, summary: 'One callback with its history',
    params: idParams, response: callbackView,
    handler: ({ actor, params }) => callbacks.get(actor, params.id),
  });
  for (const [action, run, summary] of [
    ['claim', (a, id) => callbacks.claim(a, id), 'Take it: the owner joins its conference to read the note'],
    ['done', (a, id) => callbacks.done(a, id), 'Done (owner)'],
    ['not-reached', (a, id) => callbacks.notReached(a, id), 'Record an attempt that did not reach the counterpart (owner)'],
    ['cancel', (a, id) => callbacks.cancel(a, id), 'Cancel (requester)'],
  ] as const satisfies readonly (readonly [string, (a: Parameters<Callbacks['get']>[0], id: string) => Promise<unknown>, string])[]) {
    route(api, {
      method: 'post', path: `/api/callbacks/:id/${action}`, tag: TAG, summary,
      params: idParams, response: callbackView,
      handler: ({ actor, params }) => run(actor, params.id) as ReturnType<Callbacks['get']>,
    });
  }
  return [{ path: '/', router: api }];
}
