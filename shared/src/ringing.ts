// The ring lifecycle's inputs and views, shared by the server and the browser
// app. No free text about the client: the request carries codes only.
import { z } from 'zod';
import { hetuSchema, naturalId } from './directory.ts';
import { legalBasis } from './disclosures.ts';
import { decisionView, i18nText, routingRequestInput, stepDecisionView } from './routing.ts';

export const ringRequestInput = z.strictObject({
  /** Chosen by the caller so a repeated command (a retry after a network drop) starts nothing new. */
  requestId: z.uuid().optional(),
  client: z.union([z.strictObject({ hetu: hetuSchema }), z.strictObject({ applicationId: naturalId })]),
  request: routingRequestInput,
  /** The legal basis under which the client's identity is disclosed to whoever accepts. */
  basis: legalBasis,
  /** A recorded consent, when the basis is a consent. */
  consentId: naturalId.optional(),
  /**
   * When nobody can be rung because the counterparts' teams are closed: 'callback' (the
   * default) leaves the callback request the rules say; 'ask' starts nothing and answers
   * 409 team_closed with `closed` (closedTeamsView), so the requester can choose.
   */
  whenClosed: z.enum(['callback', 'ask']).default('callback'),
});
export type RingRequestInput = z.infer<typeof ringRequestInput>;

/** The 409 team_closed answer's `closed`: who is closed, when they open, and whether the region takes urgent matters. */
export const closedTeamsView = z.object({
  teams: z.array(
    z.object({
      teamId: z.string(),
      nameFi: z.string(),
      nameSv: z.string(),
      organisationNameFi: z.string(),
      organisationNameSv: z.string(),
      /** Null when the team stays closed for the next two weeks. */
      opensAt: z.string().nullable(),
    }),
  ),
  /** Whether the same request as urgent would reach the urgent queue or someone on call. */
  urgentQueue: z.boolean(),
});
export type ClosedTeamsView = z.infer<typeof closedTeamsView>;

export const DECLINE_REASONS = ['busy_with_client', 'not_my_client', 'wrong_team', 'leaving', 'other'] as const;
export const declineInput = z.strictObject({ reason: z.enum(DECLINE_REASONS) });
export const offerRef = z.strictObject({ offerId: z.uuid() });
export const requestRef = z.strictObject({ requestId: z.uuid() });

export const RING_STATES = ['ringing', 'accepted', 'callback', 'urgent_queue', 'refused', 'cancelled'] as const;
export type RingState = (typeof RING_STATES)[number];

/** A person with their organisation's name in Finnish and Swedish (the reader's language picks). */
const personView = z.object({ staffId: z.string(), displayName: z.string(), organisationId: z.string(), organisationNameFi: z.string(), organisationNameSv: z.string() });

/** What a rung person sees: only what the basis allows before they accept. */
export const ringOfferView = z.object({
  offerId: z.string(),
  requestId: z.string(),
  requester: personView,
  requestType: z.string(),
  urgency: z.string(),
  criteria: z.array(z.string()),
  language: z.string().nullable(),
  /** Absent for a non-disclosure client. */
  municipality: z.object({ code: z.string(), nameFi: z.string(), nameSv: z.string() }).optional(),
  expiresAt: z.string(),
  /** Why this person is rung (the step's explanation, stand-in for whom). */
  why: i18nText,
});
export type RingOfferView = z.infer<typeof ringOfferView>;

/** An offer stopped ringing: its time ran out, or someone else took the request or it was called off. */
export const ringOfferEndedView = z.object({ offerId: z.string(), requestId: z.string(), state: z.enum(['expired', 'withdrawn']) });
export type RingOfferEndedView = z.infer<typeof ringOfferEndedView>;

export const ringEventView = z.object({
  at: z.string(),
  kind: z.enum(['started', 'step', 'offered', 'declined', 'withdrawn', 'expired', 'accepted', 'final', 'cancelled', 'conference_failed']),
  step: stepDecisionView.optional(),
  staffId: z.string().optional(),
  reason: z.string().optional(),
  explanation: i18nText,
});
export type RingEventView = z.infer<typeof ringEventView>;

export const ringRequestView = z.object({
  requestId: z.string(),
  state: z.enum(RING_STATES),
  requester: personView,
  requestType: z.string(),
  urgency: z.string(),
  /** The region is null for a non-disclosure client: the rules of the client's county or district would locate them. */
  ruleSet: z.object({ region: z.string().nullable(), version: z.number().nullable() }),
  /** People whose offer is ringing now. */
  ringing: z.array(z.object({ staffId: z.string(), displayName: z.string(), expiresAt: z.string() })),
  acceptedBy: personView.nullable(),
  roomId: z.string().nullable(),
  /** The callback request left when nobody answered, or when the requester chose to leave one. */
  callbackId: z.string().nullable(),
  final: decisionView.shape.final.nullable(),
  /** The decision path: why each step rang whom, and what happened. */
  explanation: z.array(ringEventView),
  createdAt: z.string(),
  endedAt: z.string().nullable(),
});
export type RingRequestView = z.infer<typeof ringRequestView>;
