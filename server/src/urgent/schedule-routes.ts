// On-call schedules over REST: an admin of the organisation saves one; anyone
// of the organisation, and on-call staff of the other side, ask who is on call
// now or at a given time.
import { Router } from 'express';
import { z } from 'zod';
import { naturalId } from '../../../shared/src/directory.ts';
import { canAdministerOrganisation, canReadOnCallSchedule } from '../auth/policies.ts';
import type { Deps } from '../deps.ts';
import { organisationScope } from '../directory/index.ts';
import type { Mount } from '../http/app.ts';
import { route } from '../http/api.ts';
import { badRequest, forbidden, notFound } from '../http/errors.ts';
import { loadSchedule, onCallCalendar, saveSchedule, whoIsOnCall } from './oncall.ts';
import { recordChange } from '../admin/changes.ts';

const TAG = 'urgent';
const params = z.strictObject({ id: naturalId });
const scheduleView = z.object({ id: z.string(), organisationId: z.string(), name: z.string(), definition: z.unknown() });
const onCallView = z.object({
  at: z.string(),
  onCall: z.object({ staffId: z.string(), displayName: z.string(), source: z.enum(['override', 'layer']), detail: z.string().nullable(), until: z.string() }).nullable(),
});

export function scheduleMounts(deps: Deps): Mount[] {
  const { db } = deps;
  const api = Router();
  route(api, {
    method: 'put', path: '/api/urgent/schedules/:id', tag: TAG, summary: 'Save an on-call schedule: rotation layers with Helsinki hand-off times, and overrides (admin of the organisation)',
    params, body: z.strictObject({ organisationId: naturalId, name: z.string().trim().min(1).max(100), definition: z.unknown() }), response: scheduleView,
    handler: async ({ actor, params: p, body }) => {
      const scope = await organisationScope(db, body.organisationId);
      if (!scope) throw badRequest('body.organisationId: unknown organisation', [{ path: 'body.organisationId', message: 'unknown organisation' }]);
      if (!canAdministerOrganisation(actor, { id: scope.id, rootId: scope.rootId })) throw forbidden('Only an admin of the organisation can change its schedules');
      const existing = await loadSchedule(db, p.id);
      if (existing && existing.organisationId !== body.organisationId) throw forbidden('This schedule belongs to another organisation');
      return db.tx(async (q) => {
        const saved = await saveSchedule(q, { id: p.id, organisationId: body.organisationId, name: body.name, definition: body.definition });
        await recordChange(q, actor, deps.clock.now(), { organisationId: body.organisationId, kind: 'oncall_schedule', target: p.id, action: existing ? 'updated' : 'created', details: { name: body.name, definition: saved.definition } });
        return saved;
      });
    },
  });
  route(api, {
    method: 'get', path: '/api/urgent/schedules/:id/on-call', tag: TAG, summary: 'Who is on call now, or at `at`',
    params, query: z.strictObject({ at: z.iso.datetime({ offset: true }).optional() }), response: onCallView,
    handler: async ({ actor, params: p, query }) => {
      const schedule = await loadSchedule(db, p.id);
      const scope = schedule && (await organisationScope(db, schedule.organisationId));
      if (!schedule || !scope || !canReadOnCallSchedule(actor, { rootId: scope.rootId })) throw notFound('No such schedule');
      const at = query.at ? new Date(query.at) : deps.clock.now();
      const onCall = whoIsOnCall(schedule.definition, at);
      return {
        at: at.toISOString(),
        onCall: onCall ? { staffId: onCall.staffId, displayName: (await deps.directory.snapshot()).displayName(onCall.staffId), source: onCall.source, detail: onCall.detail ?? null, until: onCall.until.toISOString() } : null,
      };
    },
  });
  route(api, {
    method: 'get', path: '/api/urgent/schedules', tag: TAG, summary: 'The on-call schedules of an organisation (its people, and on-call staff of the other side)',
    query: z.strictObject({ organisationId: naturalId }), response: z.array(scheduleView),
    handler: async ({ actor, query }) => {
      const scope = await organisationScope(db, query.organisationId);
      if (!scope || !canReadOnCallSchedule(actor, { rootId: scope.rootId })) throw notFound('No such organisation');
      const rows = await db.query<{ id: string; organisation_id: string; name: string; definition: unknown }>(
        'SELECT id, organisation_id, name, definition FROM oncall_schedules WHERE organisation_id = $1 ORDER BY name',
        [query.organisationId],
      );
      return rows.map((r) => ({ id: r.id, organisationId: r.organisation_id, name: r.name, definition: r.definition }));
    },
  });
  route(api, {
    method: 'get', path: '/api/urgent/schedules/:id/calendar', tag: TAG, summary: 'Who is on call over the coming days (default: 28 days from now), as consecutive segments',
    params, query: z.strictObject({ from: z.iso.datetime({ offset: true }).optional(), days: z.coerce.number().int().min(1).max(62).default(28) }),
    response: z.array(z.object({ staffId: z.string().nullable(), displayName: z.string().nullable(), source: z.enum(['override', 'layer']).nullable(), detail: z.string().nullable(), start: z.string(), end: z.string() })),
    handler: async ({ actor, params: p, query }) => {
      const schedule = await loadSchedule(db, p.id);
      const scope = schedule && (await organisationScope(db, schedule.organisationId));
      if (!schedule || !scope || !canReadOnCallSchedule(actor, { rootId: scope.rootId })) throw notFound('No such schedule');
      const from = query.from ? new Date(query.from) : deps.clock.now();
      const segments = onCallCalendar(schedule.definition, from, new Date(from.getTime() + query.days * 86_400_000));
      const directory = await deps.directory.snapshot();
      return segments.map((s) => ({ ...s, displayName: s.staffId ? directory.displayName(s.staffId) : null, start: s.start.toISOString(), end: s.end.toISOString() }));
    },
  });
  return [{ path: '/', router: api }];
}
