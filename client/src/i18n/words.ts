// Codes the server (or another browser) sends, in the reader's words: request
// types, routing explanations, who a step selects, why someone was left out,
// error codes. Each family has a readable fallback of its own, so an unknown or
// newer code never shows as a raw key or a rule's step id.
import { RELATIONS, REQUEST_TYPES, type ExclusionView, type I18nText, type StepSelect } from '../../../shared/src/routing.ts';
import { ROLES } from '../../../shared/src/directory.ts';
import type { RingEventView } from '../../../shared/src/ringing.ts';
import { formatTime, hasText, language, t, textOr } from './index.ts';

const capitalise = (s: string) => s.charAt(0).toLocaleUpperCase(language.value) + s.slice(1);

export function requestTypeName(code: string): string {
  const known = REQUEST_TYPES.find((rt) => rt === code);
  return known ? t(`type.${known}`) : t('type.other');
}

/** A segment code (aikuissosiaalityo, laakkeet, ...) as a name. */
export function segmentName(code: string): string {
  return textOr(`segment.${code}`, 'segment.other');
}

/** Whom a step selects, as the requester reads it: never the rule's own step id. */
export function stepName(select: StepSelect | undefined): string {
  if (!select) return t('step.unnamed');
  if ('relation' in select) return capitalise(t(`relation.${select.relation}`));
  if ('team' in select) return t('step.team');
  if ('role' in select) return t(`staff.role.${select.role}`);
  return segmentName(select.segment);
}

/** A selector carried in an offer's reason (its params), if there is one. */
function selectOf(params: Record<string, unknown>): StepSelect | undefined {
  const relation = RELATIONS.find((r) => r === params.relation);
  if (relation) return { relation };
  if (typeof params.team === 'string') return { team: params.team };
  const role = ROLES.find((r) => r === params.role);
  if (role) return { role };
  if (typeof params.segment === 'string') return { segment: params.segment };
  return undefined;
}

/**
 * A server explanation ({key, params}) in the reader's language. `select` names
 * the step the explanation is about (its selector, not its id); times and the
 * ringing strategy in the parameters read in the reader's language too.
 */
export function explain(text: I18nText | null | undefined, select?: StepSelect): string {
  if (!text) return '';
  const raw = text.params ?? {};
  // Without a count the ring text would say "{count}": the shorter one says only that it rings.
  const key = text.key === 'routing.step.ring' && raw.count === undefined ? 'explain.routing.step.ringing' : `explain.${text.key}`;
  if (!hasText(key)) return t('explain.unknown');
  const params: Record<string, unknown> = { step: stepName(select ?? selectOf(raw)) };
  for (const [name, value] of Object.entries(raw)) {
    if (typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T/.test(value)) params[name] = formatTime(value);
    else if (name === 'strategy' && typeof value === 'string') params[name] = strategyName(value);
    else if (name !== 'stepId') params[name] = value;
  }
  return t(key, params);
}

function strategyName(code: string): string {
  return textOr(`rules.strategy.${code}`, 'rules.strategy.other').toLocaleLowerCase(language.value);
}

/** One event of a request's progress. */
export function explainEvent(e: RingEventView): string {
  return explain(e.explanation, e.step?.select);
}

/** Why a person a step chose does not ring, with the stand-in when there is one. */
export function exclusionText(x: ExclusionView): string {
  const standIn = x.explanation.params?.standInName;
  if (x.reason === 'absent' && typeof standIn === 'string') return t('excluded.absentStandIn', { name: standIn });
  return t(`excluded.${x.reason}`);
}

/** Why this person is rung, as the rung person reads it. */
export function whyYou(why: I18nText): string {
  const p = why.params ?? {};
  if (typeof p.standInForName === 'string') return t('why.standIn', { name: p.standInForName });
  const select = selectOf(p);
  if (!select) return t('why.rules');
  if ('relation' in select) return t(`relation.${select.relation}`);
  if ('team' in select) return t('why.team');
  if ('role' in select) return t('why.role', { role: t(`staff.role.${select.role}`) });
  return t('why.segment', { segment: segmentName(select.segment) });
}
