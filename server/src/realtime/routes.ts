// Presence and team rooms: REST under /api/presence and the gateway's own
// Socket.IO commands. The same state either way (gateway.ts keeps it), for
// clients that are not connected and for scripts.
import { Router } from 'express';
import { z } from 'zod';
import { canSubscribeToTeam, require } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { badRequest, notFound } from '../http/errors.ts';
import { command, type SocketCommand } from './api.ts';
import type { Realtime } from './gateway.ts';
import {
  MANUAL_STATUSES,
  MAX_MANUAL_MINUTES,
  MAX_PRESENCE_IDS,
  presenceChangeView,
  presenceEntries,
  presenceEntryView,
  resolveUntil,
  staffIdSchema,
} from './presence.ts';

const teamRef = z.strictObject({ team: z.string().min(1).max(100) });

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
    response: presenceChangeView,
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
    response: z.object({ presence: z.array(presenceEntryView) }),
    handler: async ({ query }) => {
      const ids = query.staffIds.split(',').map((s) => s.trim());
      if (ids.length > MAX_PRESENCE_IDS)
        throw badRequest(`staffIds: at most ${MAX_PRESENCE_IDS} ids`, [{ path: 'query.staffIds', message: `at most ${MAX_PRESENCE_IDS} ids` }]);
      if (!ids.every((id) => staffIdSchema.safeParse(id).success))
        throw badRequest('staffIds: an empty or too long id', [{ path: 'query.staffIds', message: 'an empty or too long id' }]);
      return { presence: presenceEntries(await realtime().getPresence(ids)) };
    },
  });

  return [{ path: '/', router }];
}

export function realtimeSocketCommands(deps: Deps, realtime: () => Realtime): SocketCommand[] {
  return [
    command({
      name: 'presence:set',
      summary: 'Set my manual status (available, busy, away), optionally until a time or for a number of minutes',
      allowed: 'anyone signed in, for themselves',
      payload: z.strictObject({
        status: z.enum(MANUAL_STATUSES),
        /** An ISO time, or minutes from now. */
        until: z.union([z.iso.datetime({ offset: true }), z.number().positive().max(MAX_MANUAL_MINUTES)]).optional(),
      }),
      reply: z.object({ presence: presenceChangeView }),
      handler: async ({ actor }, { status, until }) => {
        const presence = await realtime().setManualStatus(actor.staffId, status, resolveUntil(until, deps.clock.now(), 'payload.until'));
        if (!presence) throw notFound('No such person');
        return { presence };
      },
    }),
    command({
      name: 'presence:watch',
      summary: `Follow the presence of up to ${MAX_PRESENCE_IDS} people (replaces the list watched before): their presence now, and a 'presence' push on each change`,
      allowed: 'anyone signed in: presence is visible to everyone signed in',
      payload: z.strictObject({ staffIds: z.array(staffIdSchema).max(MAX_PRESENCE_IDS) }),
      reply: z.object({ presence: z.array(presenceEntryView) }),
      handler: async ({ rooms, join, leave }, { staffIds }) => {
        const wanted = new Set(staffIds);
        for (const room of rooms) if (room.startsWith('presence:') && !wanted.has(room.slice(9))) await leave(room);
        await join([...wanted].map((id) => `presence:${id}`));
        return { presence: presenceEntries(await realtime().getPresence([...wanted])) };
      },
    }),
    command({
      name: 'subscribe',
      summary: 'Follow a team’s live updates (its callbacks) on this socket, e.g. after joining the team',
      allowed: 'members of the team',
      payload: teamRef,
      reply: z.object({}),
      // Membership is read from the directory's current snapshot: it changes while a socket is open.
      authorise: async ({ actor }, { team }) => {
        const isMember = !!(await deps.directory.snapshot()).staff(actor.staffId)?.teamIds.includes(team);
        require(canSubscribeToTeam(actor, { isMember }), 'team: not a member of that team');
      },
      handler: async ({ join }, { team }) => {
        await join(`team:${team}`);
        return {};
      },
    }),
    command({
      name: 'unsubscribe',
      summary: 'Stop following a team’s live updates on this socket',
      allowed: 'anyone signed in: leaving a room is always allowed',
      payload: teamRef,
      reply: z.object({}),
      handler: async ({ leave }, { team }) => {
        await leave(`team:${team}`);
        return {};
      },
    }),
  ];
}
