// Every event Rinki pushes to clients over Socket.IO: its name, who receives it
// and its payload (the shared views). Emitting code names one of these
// (realtime.toUser(staffId, PUSHES.ringOffer, view)), and /api/asyncapi.json lists them all.
import { callbackView } from '../../../shared/src/callbacks.ts';
import { ringOfferEndedView, ringOfferView, ringRequestView } from '../../../shared/src/ringing.ts';
import { concernView, urgentAssessedView, urgentEscalationView, urgentItemView, urgentUnacknowledgedView } from '../../../shared/src/urgent.ts';
import { push } from './api.ts';
import { presenceChangeView } from './presence.ts';

export const PUSHES = {
  presence: push({
    name: 'presence',
    summary: 'A person’s presence changed (connected, disconnected, a manual status set or expired)',
    to: 'the sockets watching that person (presence:watch) and everyone of the person’s root organisation',
    payload: presenceChangeView,
  }),
  ringOffer: push({
    name: 'ring:offer',
    summary: 'A request rings me: only what the legal basis allows before accepting',
    to: 'each person rung',
    payload: ringOfferView,
  }),
  ringOfferEnded: push({
    name: 'ring:offer-ended',
    summary: 'My offer stopped ringing: its time ran out, or someone else took the request or it was called off',
    to: 'the person whose offer ended',
    payload: ringOfferEndedView,
  }),
  ringProgress: push({
    name: 'ring:progress',
    summary: 'Where a request is now: who is ringing, who accepted, the decision path',
    to: 'the requester, and the accepter on accepting',
    payload: ringRequestView,
  }),
  callbackChanged: push({
    name: 'callback:changed',
    summary: 'A callback request was created or changed',
    to: 'its requester, owner and addressed person, and the addressed team',
    payload: callbackView,
  }),
  callbackReminder: push({
    name: 'callback:reminder',
    summary: 'A callback is due in 15 minutes',
    to: 'its owner; else the addressed person; else the addressed team',
    payload: callbackView,
  }),
  callbackOverdue: push({
    name: 'callback:overdue',
    summary: 'A callback is past its due time',
    to: 'the supervisor of the addressed team, or of the addressed person’s teams',
    payload: callbackView,
  }),
  concernStatus: push({
    name: 'concern:status',
    summary: 'A concern notification’s feedback status changed',
    to: 'its sender and the sending organisation',
    payload: concernView,
  }),
  concernReminder: push({
    name: 'concern:reminder',
    summary: 'A concern notification’s feedback is due',
    to: 'the receiving county and the sender',
    payload: concernView,
  }),
  urgentChanged: push({
    name: 'urgent:changed',
    summary: 'An item of an urgent queue was queued or changed',
    to: 'the sockets following the region’s queue (urgent:subscribe)',
    payload: urgentItemView,
  }),
  urgentAssessed: push({
    name: 'urgent:assessed',
    summary: 'An urgent item was assessed not urgent',
    to: 'the requester and the requesting organisation',
    payload: urgentAssessedView,
  }),
  urgentEscalation: push({
    name: 'urgent:escalation',
    summary: 'An unclaimed urgent item reached my escalation level',
    to: 'the level’s people, its teams’ members and whoever is on call in its schedules',
    payload: urgentEscalationView,
  }),
  urgentUnacknowledged: push({
    name: 'urgent:unacknowledged',
    summary: 'Nobody claimed an urgent item through every escalation level and loop',
    to: 'the region’s supervisors',
    payload: urgentUnacknowledgedView,
  }),
};
