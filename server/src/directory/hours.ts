// Office hours: weekly hours in Europe/Helsinki wall-clock time, Finnish public
// holidays (date-holidays, country FI, type "public" only) and per-date exceptions.
// Evaluating wall-clock time in the zone makes DST change days come out right.
import Holidays from 'date-holidays';
import type { HourExceptions, WeeklyHours, Weekday } from '../../../shared/src/directory.ts';

export const OFFICE_TIME_ZONE = 'Europe/Helsinki';

const WEEKDAYS: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const partsFormat = new Intl.DateTimeFormat('en-CA', {
  timeZone: OFFICE_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
  weekday: 'short',
});

export interface LocalTime {
  /** YYYY-MM-DD in Helsinki */
  date: string;
  weekday: Weekday;
  /** HH:MM in Helsinki */
  time: string;
}

// Formatting in a time zone is slow next to everything else routing does, and
// a decision asks about the same few minutes many times (Helsinki's offsets
// are whole hours, so a UTC minute is one local minute).
const localByMinute = new Map<number, LocalTime>();

export function helsinkiLocal(at: Date): LocalTime {
  const minute = Math.floor(at.getTime() / 60_000);
  const hit = localByMinute.get(minute);
  if (hit) return hit;
  const p = Object.fromEntries(partsFormat.formatToParts(at).map((x) => [x.type, x.value]));
  const local: LocalTime = Object.freeze({
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: p.weekday.toLowerCase().slice(0, 3) as Weekday,
    time: `${p.hour}:${p.minute}`,
  });
  if (localByMinute.size >= 4096) localByMinute.clear();
  localByMinute.set(minute, local);
  return local;
}

// Official public holidays from date-holidays, plus Christmas Eve and Midsummer
// Eve: "bank" days there, but Kela's and the counties' offices are closed on both.
const holidays = new Holidays('FI', { types: ['public'] });
const holidayCache = new Map<number, Set<string>>();

export function isFinnishPublicHoliday(localDate: string): boolean {
  const year = Number(localDate.slice(0, 4));
  let days = holidayCache.get(year);
  if (!days) {
    days = new Set(holidays.getHolidays(year).filter((h) => h.type === 'public').map((h) => h.date.slice(0, 10)));
    holidayCache.set(year, days);
  }
  return days.has(localDate);
}

/** A day Finnish public offices are closed: a public holiday, Christmas Eve or Midsummer Eve. */
export function isFinnishDayOff(localDate: string): boolean {
  const year = localDate.slice(0, 4);
  if (!daysOffByYear.has(year)) {
    // Midsummer Eve: the Friday between 19 and 25 June.
    const days = new Set<string>([`${year}-12-24`]);
    for (let d = 19; d <= 25; d++) if (new Date(Date.UTC(Number(year), 5, d)).getUTCDay() === 5) days.add(`${year}-06-${d}`);
    daysOffByYear.set(year, days);
  }
  return daysOffByYear.get(year)!.has(localDate) || isFinnishPublicHoliday(localDate);
}
const daysOffByYear = new Map<string, Set<string>>();

export interface TeamHours {
  hours: WeeklyHours;
  hourExceptions: HourExceptions;
  closedOnHolidays: boolean;
}

/** The intervals that apply on a Helsinki date: an exception wins, then a holiday closes, then the weekday. */
export function intervalsOn(team: TeamHours, date: string, weekday: Weekday): [string, string][] {
  const exception = team.hourExceptions[date];
  if (exception) return exception;
  if (team.closedOnHolidays && isFinnishDayOff(date)) return [];
  return team.hours[weekday] ?? [];
}

/** Whether a team is open at instant `at`: intervals are [start, end) in Helsinki wall-clock time. */
export function isOpenAt(team: TeamHours, at: Date): boolean {
  const local = helsinkiLocal(at);
  return intervalsOn(team, local.date, local.weekday).some(([start, end]) => local.time >= start && local.time < end);
}

/** The instant a Helsinki wall-clock time happens on a date (the earlier one in the autumn's repeated hour). */
function helsinkiInstant(date: string, time: string): Date {
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi] = time.split(':').map(Number);
  const asUtc = Date.UTC(y, mo - 1, d, h, mi);
  for (const offsetHours of [3, 2]) {
    const at = new Date(asUtc - offsetHours * 3_600_000);
    const local = helsinkiLocal(at);
    if (local.date === date && local.time === time) return at;
  }
  // A time the spring change skips: the hour after it.
  return new Date(asUtc - 2 * 3_600_000);
}

/** How far ahead nextOpeningAt looks: a team closed longer than this is "closed until further notice". */
const OPENING_HORIZON_DAYS = 14;

/** When a team next opens after `at`, or null when it stays closed for the next two weeks. */
export function nextOpeningAt(team: TeamHours, at: Date): Date | null {
  const today = helsinkiLocal(at);
  const [y, m, d] = today.date.split('-').map(Number);
  for (let i = 0; i <= OPENING_HORIZON_DAYS; i++) {
    const day = new Date(Date.UTC(y, m - 1, d + i));
    const date = day.toISOString().slice(0, 10);
    const starts = intervalsOn(team, date, WEEKDAYS[day.getUTCDay()])
      .map(([start]) => start)
      .filter((start) => i > 0 || start > today.time)
      .sort();
    if (starts.length) return helsinkiInstant(date, starts[0]);
  }
  return null;
}

export { WEEKDAYS };
