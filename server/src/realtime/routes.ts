// Presence over REST: /api/presence. The same state the socket events read and
// write (gateway.ts), for clients that are not connected and for scripts.
import { Router } from 'express';
import { z } from 'zod';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { badRequest, notFound } from '../http/errors.ts';
import type { Realtime } from './gateway.ts';
import { MANUAL_STATUSES, MAX_MANUAL_MINUTES, MAX_PRESENCE_IDS, staffIdSchema } from './presence.ts';

const presenceStatus = z.enum([...MANUAL_STATUSES, 'offline']);
const presenceEntry = z.object({ staffId: z.string(), status: presenceStatus, until: z.string().nullable() });
const presenceChange = presenceEntry.extend({ changedAt: z.string() });

/** `realtime` is a getter: the gateway attaches to the HTTP server, which is created after the routes. */
export function realtimeMounts(deps: Deps, realtime: () => Realtime): Mount[] {
  const router = Router();

  route(router, {
    method: 'put',
    path: '/api/presence/me',
    tag: 'presence',
    summary: 'Set my manual status (available, busy, away), optionally for a number of minutes',
    body: z.strictObject({
      status: z.enum(MANUAL_STATUSES),
      untilMinutes: z.number().int().positive().max(MAX_MANUAL_MINUTES).optional(),
    }),
    response: presenceChange,
    handler: async ({ actor, body }) => {
      const until = body.untilMinutes ? new Date(deps.clock.now().getTime() + body.untilMinutes * 60_000) : null;
      const change = await realtime().setManualStatus(actor.staffId, body.status, until);
      if (!change) throw notFound('No such person');
      return change;
    },
  });

  route(router, {
    method: 'get',
    path: '/api/presence',
    tag: 'presence',
    summary: `Presence of up to ${MAX_PRESENCE_IDS} people (comma-separated staff ids)`,
    query: z.strictObject({ staffIds: z.string().min(1) }),
    response: z.object({ presence: z.array(presenceEntry) }),
    handler: async ({ query }) => {
      const ids = query.staffIds.split(',').map((s) => s.trim());
      if (ids.length > MAX_PRESENCE_IDS)
        throw badRequest(`staffIds: at most ${MAX_PRESENCE_IDS} ids`, [{ path: 'query.staffIds', message: `at most ${MAX_PRESENCE_IDS} ids` }]);
      if (!ids.every((id) => staffIdSchema.safeParse(id).success))
        throw badRequest('staffIds: an empty or too long id', [{ path: 'query.staffIds', message: 'an empty or too long id' }]);
      const presence = await realtime().getPresence(ids);
      return {
        presence: [...presence].map(([staffId, p]) => ({ staffId, status: p.status, until: p.until?.toISOString() ?? null })),
      };
    },
  });

  return [{ path: '/', router }];
}
