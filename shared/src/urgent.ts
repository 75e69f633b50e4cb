// The urgent queue: inputs and views shared by the server and the browser app.
import { z } from 'zod';
import { naturalId } from './directory.ts';

export const criterionCode = z.string().regex(/^[a-z0-9_]{1,60}$/, 'a criterion code');

export const urgencyCriterionView = z.object({ code: z.string(), nameFi: z.string(), nameSv: z.string() });
export type UrgencyCriterionView = z.infer<typeof urgencyCriterionView>;
export const criteriaInput = z.strictObject({
  criteria: z.array(z.strictObject({ code: criterionCode, nameFi: z.string().trim().min(1).max(200), nameSv: z.string().trim().min(1).max(200) })).min(1).max(50),
});

export const assessInput = z.strictObject({
  assessment: z.enum(['urgent', 'not_urgent']),
  /** The criteria codes the assessment rests on (for not urgent: the ones found not to apply). */
  criteria: z.array(criterionCode).min(1).max(20),
});
export const handOverInput = z.strictObject({ toStaffId: naturalId });

export const SLA_STATES = ['ok', 'due_soon', 'breached', 'met'] as const;

export const urgentItemView = z.object({
  id: z.string(),
  region: z.string(),
  routingRequestId: z.string().nullable(),
  requester: z.object({ staffId: z.string(), displayName: z.string(), organisationId: z.string() }),
  requestType: z.string(),
  criteria: z.array(z.string()),
  state: z.enum(['waiting', 'claimed', 'resolved']),
  owner: z.object({ staffId: z.string(), displayName: z.string() }).nullable(),
  assessment: z.enum(['urgent', 'not_urgent']).nullable(),
  assessmentCriteria: z.array(z.string()),
  /** The escalation level reached (1-based), null when the region has no policy or none fired yet. */
  escalationLevel: z.number().nullable(),
  ageSeconds: z.number(),
  sla: z.object({
    acknowledge: z.object({ dueAt: z.string(), state: z.enum(SLA_STATES) }),
    resolve: z.object({ dueAt: z.string(), state: z.enum(SLA_STATES) }),
  }),
  createdAt: z.string(),
});
export type UrgentItemView = z.infer<typeof urgentItemView>;

/** An item assessed not urgent, told to the requesting organisation. */
export const urgentAssessedView = z.object({
  itemId: z.string(),
  routingRequestId: z.string().nullable(),
  assessment: z.literal('not_urgent'),
  criteria: z.array(z.string()),
  assessedBy: z.string(),
  organisationId: z.string(),
});
export type UrgentAssessedView = z.infer<typeof urgentAssessedView>;
/** An escalation level (1-based) of an unclaimed item reached me, in its loop (0-based). */
export const urgentEscalationView = z.object({ itemId: z.string(), region: z.string(), level: z.number(), loop: z.number() });
/** Nobody claimed an item through every escalation level and loop. */
export const urgentUnacknowledgedView = z.object({ itemId: z.string(), region: z.string() });

// ---- concern-notification feedback ----

export const CONCERN_STATUSES = ['received', 'client_reached', 'client_not_reached', 'taken_charge', 'closed'] as const;
export type ConcernStatus = (typeof CONCERN_STATUSES)[number];

export const concernStatusInput = z
  .strictObject({
    status: z.enum(['client_reached', 'client_not_reached', 'taken_charge', 'closed']),
    /** The worker who took charge: required with taken_charge. */
    responsibleWorkerId: naturalId.optional(),
  })
  .refine((b) => b.status !== 'taken_charge' || b.responsibleWorkerId !== undefined, { path: ['responsibleWorkerId'], message: 'name the responsible worker' });

export const concernView = z.object({
  id: z.string(),
  status: z.enum(CONCERN_STATUSES),
  fromOrganisationId: z.string(),
  toOrganisationId: z.string(),
  /** Who sent it, with their organisation's name in Finnish and Swedish. */
  sender: z.object({ staffId: z.string(), displayName: z.string(), organisationNameFi: z.string(), organisationNameSv: z.string() }).nullable(),
  /** The Kela application the concern is about (never the identity code); null when the client has none. */
  clientReference: z.string().nullable(),
  responsibleWorker: z.object({ staffId: z.string(), displayName: z.string(), organisationNameFi: z.string(), organisationNameSv: z.string() }).nullable(),
  statusDueAt: z.string().nullable(),
  createdAt: z.string(),
  history: z.array(z.object({ at: z.string(), status: z.string(), actorId: z.string().nullable() })),
});
export type ConcernView = z.infer<typeof concernView>;
