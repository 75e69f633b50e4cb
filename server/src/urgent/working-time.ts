// Working-time clocks for SLAs. Wall-clock SLAs (urgent: minutes, hours) are
// plain durations. Working-day SLAs ("feedback in 3 working days") are due at
// the same Helsinki wall-clock time on the n-th working day after the start,
// skipping weekends and the days Finnish offices are closed (isFinnishDayOff).
// Counting in Helsinki dates keeps DST change days right: the due time is
// the same local time, whatever the UTC offset did in between.
import { z } from 'zod';
import { helsinkiLocal, isFinnishDayOff } from '../directory/index.ts';

const DAY_MS = 86_400_000;

/** A YYYY-MM-DD date `days` calendar days after `date`. */
export function addCalendarDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar days from `from` to `to` (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): number {
  const ms = (s: string) => {
    const [y, m, d] = s.split('-').map(Number);
    return Date.UTC(y, m - 1, d);
  };
  return Math.round((ms(to) - ms(from)) / DAY_MS);
}

/** Helsinki's offset from UTC in minutes at instant `at` (120 or 180). */
function helsinkiOffsetMinutes(at: Date): number {
  const local = helsinkiLocal(at);
  const [y, m, d] = local.date.split('-').map(Number);
  const [h, mi] = local.time.split(':').map(Number);
  return Math.round((Date.UTC(y, m - 1, d, h, mi) - Math.floor(at.getTime() / 60_000) * 60_000) / 60_000);
}

/**
 * The instant of Helsinki wall-clock `time` (HH:MM) on `date`. A time skipped
 * by the spring change (03:00–03:59) comes out an hour later; a time that
 * happens twice in the autumn gives the later (EET) one.
 */
export function helsinkiInstant(date: string, time: string): Date {
  const [y, m, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const naive = Date.UTC(y, m - 1, d, h, mi);
  let guess = naive - helsinkiOffsetMinutes(new Date(naive)) * 60_000;
  guess = naive - helsinkiOffsetMinutes(new Date(guess)) * 60_000;
  return new Date(guess);
}

/** A Helsinki date on which offices work: Monday–Friday and not a Finnish day off. */
export function isWorkingDay(date: string): boolean {
  const weekday = new Date(`${date}T12:00:00Z`).getUTCDay();
  return weekday !== 0 && weekday !== 6 && !isFinnishDayOff(date);
}

/** The same Helsinki wall-clock time on the n-th working day after `at`'s Helsinki date. */
export function addWorkingDays(at: Date, n: number): Date {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`working days must be a whole number ≥ 0, got ${n}`);
  if (n === 0) return new Date(at);
  const local = helsinkiLocal(at);
  let date = local.date;
  for (let counted = 0; counted < n; ) {
    date = addCalendarDays(date, 1);
    if (isWorkingDay(date)) counted++;
  }
  // helsinkiLocal gives minutes; keep the start's seconds and milliseconds
  return new Date(helsinkiInstant(date, local.time).getTime() + (at.getTime() % 60_000));
}

export const slaSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('wall_clock'), minutes: z.number().int().positive().max(60 * 24 * 365) }),
  z.strictObject({ kind: z.literal('working_days'), days: z.number().int().positive().max(365) }),
]);
export type Sla = z.infer<typeof slaSchema>;

/** When an SLA that starts at `start` is due. */
export function slaDueAt(start: Date, sla: Sla): Date {
  if (sla.kind === 'wall_clock') {
    if (!Number.isInteger(sla.minutes) || sla.minutes <= 0) throw new RangeError(`SLA minutes must be a whole number > 0, got ${sla.minutes}`);
    return new Date(start.getTime() + sla.minutes * 60_000);
  }
  if (sla.days <= 0) throw new RangeError(`SLA working days must be a whole number > 0, got ${sla.days}`);
  return addWorkingDays(start, sla.days);
}
