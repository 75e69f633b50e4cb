// On-call schedules, after PagerDuty / Grafana OnCall: rotation layers with
// hand-offs at a Helsinki wall-clock time, and overrides (a sick day, a
// holiday swap). whoIsOnCall: an override wins over every layer, then the
// layer with the highest priority that has a shift at that instant.
//
// Shifts are counted in Helsinki calendar days, so a daily shift that spans
// the autumn DST change lasts 25 hours and still hands off at 16:00 local.
import { z } from 'zod';
import { activeStaffOf, helsinkiLocal } from '../directory/index.ts';
import { badRequest, zodIssues, type Issue } from '../http/errors.ts';
import type { Queryable } from '../store/db.ts';
import { daysBetween, helsinkiInstant } from './working-time.ts';

export const SCHEDULE_TIME_ZONE = 'Europe/Helsinki';

const staffId = z.string().min(1).max(200);
const localDate = z.iso.date();
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM (00:00–23:59)');
const instant = z.iso.datetime({ offset: true });

export const layerSchema = z.strictObject({
  name: z.string().min(1).max(100),
  /** Higher wins where layers overlap; two overlapping layers may not share one. */
  priority: z.number().int().min(0).max(1000),
  rotation: z.enum(['daily', 'weekly']),
  handoffTime: hhmm,
  /** The first shift starts at handoffTime on this Helsinki date. */
  start: localDate,
  /** Optional: the layer ends at handoffTime on this date (exclusive). */
  end: localDate.optional(),
  /** Staff in rotation order; the same person may appear more than once. */
  participants: z.array(staffId).min(1).max(100),
});

export const overrideSchema = z.strictObject({
  staffId,
  start: instant,
  end: instant,
  reason: z.string().max(200).optional(),
});

export const scheduleDefinitionSchema = z.strictObject({
  timezone: z.literal(SCHEDULE_TIME_ZONE).default(SCHEDULE_TIME_ZONE),
  layers: z.array(layerSchema).min(1).max(20),
  overrides: z.array(overrideSchema).max(1000).default([]),
});

export type Layer = z.infer<typeof layerSchema>;
export type Override = z.infer<typeof overrideSchema>;
export type ScheduleDefinition = z.infer<typeof scheduleDefinitionSchema>;

export interface Schedule {
  id: string;
  organisationId: string;
  name: string;
  definition: ScheduleDefinition;
}

function layerWindow(layer: Layer): [number, number] {
  return [helsinkiInstant(layer.start, layer.handoffTime).getTime(), layer.end ? helsinkiInstant(layer.end, layer.handoffTime).getTime() : Infinity];
}

/** Problems the schema cannot see: empty durations and overlapping layers of equal priority. */
function semanticIssues(def: ScheduleDefinition): Issue[] {
  const issues: Issue[] = [];
  const windows = def.layers.map(layerWindow);
  def.layers.forEach((layer, i) => {
    if (layer.end !== undefined && windows[i][1] <= windows[i][0]) issues.push({ path: `layers.${i}.end`, message: 'must be after start (the layer would last no time)' });
  });
  for (let i = 0; i < def.layers.length; i++) {
    for (let j = i + 1; j < def.layers.length; j++) {
      const [a, b] = [windows[i], windows[j]];
      if (def.layers[i].priority === def.layers[j].priority && a[0] < b[1] && b[0] < a[1]) {
        issues.push({
          path: `layers.${j}.priority`,
          message: `layers '${def.layers[i].name}' and '${def.layers[j].name}' overlap with the same priority ${def.layers[j].priority}; give one a higher priority or make their dates not overlap`,
        });
      }
    }
  }
  def.overrides.forEach((o, i) => {
    if (Date.parse(o.end) <= Date.parse(o.start)) issues.push({ path: `overrides.${i}.end`, message: 'must be after start (the override would last no time)' });
  });
  return issues;
}

/** Parses and checks a schedule definition; bad input is a 400 naming each field. */
export function parseScheduleDefinition(input: unknown, prefix = 'definition'): ScheduleDefinition {
  const parsed = scheduleDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error, prefix);
    throw badRequest(`Invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  const issues = semanticIssues(parsed.data).map((i) => ({ ...i, path: `${prefix}.${i.path}` }));
  if (issues.length > 0) throw badRequest(`Invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  return parsed.data;
}

/** Every person named must be active staff of the schedule's organisation (or one of its units). */
export async function checkScheduleStaff(q: Queryable, organisationId: string, def: ScheduleDefinition, prefix = 'definition'): Promise<void> {
  const named = new Set([...def.layers.flatMap((l) => l.participants), ...def.overrides.map((o) => o.staffId)]);
  const known = new Set(await activeStaffOf(q, [...named], organisationId));
  const issues: Issue[] = [];
  def.layers.forEach((l, i) =>
    l.participants.forEach((p, j) => {
      if (!known.has(p)) issues.push({ path: `${prefix}.layers.${i}.participants.${j}`, message: `unknown staff '${p}' in this organisation` });
    }),
  );
  def.overrides.forEach((o, i) => {
    if (!known.has(o.staffId)) issues.push({ path: `${prefix}.overrides.${i}.staffId`, message: `unknown staff '${o.staffId}' in this organisation` });
  });
  if (issues.length > 0) throw badRequest(`Invalid schedule: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
}

/** Validates and stores a schedule (insert or replace). */
export async function saveSchedule(q: Queryable, input: { id: string; organisationId: string; name: string; definition: unknown }): Promise<Schedule> {
  const definition = parseScheduleDefinition(input.definition);
  await checkScheduleStaff(q, input.organisationId, definition);
  await q.query(
    `INSERT INTO oncall_schedules (id, organisation_id, name, definition) VALUES ($1, $2, $3, $4::jsonb)
     ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, definition = EXCLUDED.definition, updated_at = now()
     WHERE oncall_schedules.organisation_id = EXCLUDED.organisation_id`,
    [input.id, input.organisationId, input.name, JSON.stringify(definition)],
  );
  const saved = await loadSchedule(q, input.id);
  if (!saved || saved.organisationId !== input.organisationId) throw badRequest(`schedule id '${input.id}' belongs to another organisation`);
  return saved;
}

export async function loadSchedule(q: Queryable, id: string): Promise<Schedule | undefined> {
  const [row] = await q.query<{ id: string; organisation_id: string; name: string; definition: ScheduleDefinition }>(
    'SELECT id, organisation_id, name, definition FROM oncall_schedules WHERE id = $1',
    [id],
  );
  return row && { id: row.id, organisationId: row.organisation_id, name: row.name, definition: row.definition };
}

export interface Shift {
  staffId: string;
  start: Date;
  end: Date;
}

/** The layer's shift that contains `at`, if the layer is active then. */
export function layerShiftAt(layer: Layer, at: Date): Shift | undefined {
  const [from, until] = layerWindow(layer);
  const t = at.getTime();
  if (t < from || t >= until) return undefined;
  // Day slot d runs from the hand-off on start+d to the hand-off on start+d+1.
  const local = helsinkiLocal(at);
  let day = daysBetween(layer.start, local.date);
  if (t < helsinkiInstant(local.date, layer.handoffTime).getTime()) day -= 1;
  const period = layer.rotation === 'daily' ? 1 : 7;
  const index = Math.floor(day / period);
  const boundary = (k: number) => {
    const date = new Date(Date.parse(`${layer.start}T00:00:00Z`) + k * period * 86_400_000).toISOString().slice(0, 10);
    return helsinkiInstant(date, layer.handoffTime);
  };
  const end = new Date(Math.min(boundary(index + 1).getTime(), until));
  return { staffId: layer.participants[index % layer.participants.length], start: boundary(index), end };
}

export interface OnCall {
  staffId: string;
  source: 'override' | 'layer';
  /** The layer's name, or the override's reason. */
  detail?: string;
  /** When this person's duty (the shift or override) ends. */
  until: Date;
}

/** Who is on call at `at`: the last matching override, else the highest-priority layer with a shift. */
export function whoIsOnCall(def: ScheduleDefinition, at: Date): OnCall | undefined {
  const t = at.getTime();
  for (let i = def.overrides.length - 1; i >= 0; i--) {
    const o = def.overrides[i];
    if (Date.parse(o.start) <= t && t < Date.parse(o.end)) return { staffId: o.staffId, source: 'override', detail: o.reason, until: new Date(o.end) };
  }
  const layers = [...def.layers].sort((a, b) => b.priority - a.priority);
  for (const layer of layers) {
    const shift = layerShiftAt(layer, at);
    if (shift) return { staffId: shift.staffId, source: 'layer', detail: layer.name, until: shift.end };
  }
  return undefined;
}

export interface CalendarSegment {
  staffId: string | null;
  source: 'override' | 'layer' | null;
  detail: string | null;
  start: Date;
  end: Date;
}

/** Who is on call from `from` to `to`, as consecutive segments (a gap is a segment with nobody). */
export function onCallCalendar(def: ScheduleDefinition, from: Date, to: Date): CalendarSegment[] {
  const GAP_STEP_MS = 15 * 60_000;
  const segments: CalendarSegment[] = [];
  let t = from.getTime();
  while (t < to.getTime()) {
    const now = whoIsOnCall(def, new Date(t));
    // A shift's end, cut short where an override begins; nobody: look again a little later.
    const nextOverride = Math.min(...def.overrides.map((o) => Date.parse(o.start)).filter((s) => s > t));
    const end = Math.min(to.getTime(), nextOverride, now ? now.until.getTime() : t + GAP_STEP_MS);
    const last = segments[segments.length - 1];
    const who = now?.staffId ?? null;
    if (last && last.staffId === who && last.source === (now?.source ?? null) && last.end.getTime() === t) last.end = new Date(end);
    else segments.push({ staffId: who, source: now?.source ?? null, detail: now?.detail ?? null, start: new Date(t), end: new Date(end) });
    t = end;
  }
  return segments;
}
