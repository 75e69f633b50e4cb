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

export function helsinkiLocal(at: Date): LocalTime {
  const p = Object.fromEntries(partsFormat.formatToParts(at).map((x) => [x.type, x.value]));
  return {
    date: `${p.year}-${p.month}-${p.day}`,
    weekday: p.weekday.toLowerCase().slice(0, 3) as Weekday,
    time: `${p.hour}:${p.minute}`,
  };
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
  if (isFinnishPublicHoliday(localDate) || localDate.endsWith('-12-24')) return true;
  // Midsummer Eve: the Friday between 19 and 25 June.
  const [y, m, d] = localDate.split('-').map(Number);
  return m === 6 && d >= 19 && d <= 25 && new Date(Date.UTC(y, 5, d)).getUTCDay() === 5;
}

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

export { WEEKDAYS };
