import { expect } from 'chai';
import { helsinkiLocal } from '../directory/hours.ts';
import { addWorkingDays, helsinkiInstant, isWorkingDay, slaDueAt, slaSchema } from './working-time.ts';

const iso = (d: Date) => d.toISOString();

describe('working-time clocks', () => {
  it('converts Helsinki wall-clock times to instants in winter, summer and on DST change days', () => {
    expect(iso(helsinkiInstant('2026-01-15', '09:00'))).to.equal('2026-01-15T07:00:00.000Z');
    expect(iso(helsinkiInstant('2026-07-15', '09:00'))).to.equal('2026-07-15T06:00:00.000Z');
    // 2026-10-25: clocks go back at 04:00 EEST → 03:00 EET
    expect(iso(helsinkiInstant('2026-10-25', '16:00'))).to.equal('2026-10-25T14:00:00.000Z');
    expect(iso(helsinkiInstant('2026-10-25', '02:00'))).to.equal('2026-10-24T23:00:00.000Z');
    // 2026-03-29: 03:30 does not exist; it comes out at 04:30 EEST
    expect(iso(helsinkiInstant('2026-03-29', '03:30'))).to.equal('2026-03-29T01:30:00.000Z');
    expect(helsinkiLocal(helsinkiInstant('2026-03-29', '03:30')).time).to.equal('04:30');
  });

  it('knows working days: weekends, Christmas Eve to Boxing Day, Midsummer Eve and Day are off', () => {
    expect(isWorkingDay('2026-03-06')).to.equal(true); // Friday
    expect(isWorkingDay('2026-03-07')).to.equal(false); // Saturday
    for (const d of ['2026-12-24', '2026-12-25', '2026-12-26']) expect(isWorkingDay(d), d).to.equal(false);
    expect(isWorkingDay('2026-12-23')).to.equal(true);
    expect(isWorkingDay('2026-06-19')).to.equal(false); // Midsummer Eve (Friday)
    expect(isWorkingDay('2026-06-18')).to.equal(true);
  });

  it('adds working days across a weekend, keeping the wall-clock time', () => {
    // Friday 10:00 Helsinki + 1 → Monday 10:00; + 3 → Wednesday
    const friday = helsinkiInstant('2026-03-06', '10:00');
    expect(iso(addWorkingDays(friday, 1))).to.equal(iso(helsinkiInstant('2026-03-09', '10:00')));
    expect(iso(addWorkingDays(friday, 3))).to.equal(iso(helsinkiInstant('2026-03-11', '10:00')));
    // started on a Saturday: the first working day after it is Monday
    expect(iso(addWorkingDays(helsinkiInstant('2026-03-07', '10:00'), 1))).to.equal(iso(helsinkiInstant('2026-03-09', '10:00')));
    expect(iso(addWorkingDays(friday, 0))).to.equal(iso(friday));
    // seconds survive
    expect(iso(addWorkingDays(new Date('2026-03-06T08:00:42.500Z'), 1))).to.equal('2026-03-09T08:00:42.500Z');
  });

  it('skips Christmas (24–26 Dec), New Year and Epiphany', () => {
    // Wed 23 Dec 2026 14:00 + 1 → Mon 28 Dec (Thu 24, Fri 25, Sat 26, Sun 27 off)
    expect(iso(addWorkingDays(helsinkiInstant('2026-12-23', '14:00'), 1))).to.equal(iso(helsinkiInstant('2026-12-28', '14:00')));
    // Tue 22 Dec + 3 → 23, 28, 29
    expect(iso(addWorkingDays(helsinkiInstant('2026-12-22', '09:00'), 3))).to.equal(iso(helsinkiInstant('2026-12-29', '09:00')));
    // Thu 31 Dec + 3 → Mon 4 Jan, Tue 5 Jan, (Wed 6 Jan Epiphany) Thu 7 Jan
    expect(iso(addWorkingDays(helsinkiInstant('2026-12-31', '12:00'), 3))).to.equal(iso(helsinkiInstant('2027-01-07', '12:00')));
  });

  it('skips Midsummer Eve and Midsummer Day', () => {
    // Thu 18 June 2026 09:00 + 1 → Mon 22 June (Fri 19 Eve, Sat 20 Day, Sun 21)
    expect(iso(addWorkingDays(helsinkiInstant('2026-06-18', '09:00'), 1))).to.equal('2026-06-22T06:00:00.000Z');
  });

  it('keeps the local time across a DST change (a working day can be 23 or 25 hours longer)', () => {
    // Fri 23 Oct 2026 16:00 EEST (13:00Z) + 1 → Mon 26 Oct 16:00 EET (14:00Z)
    expect(iso(addWorkingDays(new Date('2026-10-23T13:00:00Z'), 1))).to.equal('2026-10-26T14:00:00.000Z');
    // Fri 27 Mar 2026 09:00 EET (07:00Z) + 1 → Mon 30 Mar 09:00 EEST (06:00Z)
    expect(iso(addWorkingDays(new Date('2026-03-27T07:00:00Z'), 1))).to.equal('2026-03-30T06:00:00.000Z');
  });

  it('wall-clock SLAs are plain durations, also across a DST change', () => {
    expect(iso(slaDueAt(new Date('2026-10-25T00:30:00Z'), { kind: 'wall_clock', minutes: 120 }))).to.equal('2026-10-25T02:30:00.000Z');
    expect(iso(slaDueAt(helsinkiInstant('2026-12-23', '14:00'), { kind: 'working_days', days: 1 }))).to.equal(iso(helsinkiInstant('2026-12-28', '14:00')));
  });

  it('refuses negative or fractional counts with a clear message', () => {
    expect(() => addWorkingDays(new Date(), -1)).to.throw(RangeError, /working days must be a whole number ≥ 0, got -1/);
    expect(() => addWorkingDays(new Date(), 1.5)).to.throw(RangeError, /got 1.5/);
    expect(() => slaDueAt(new Date(), { kind: 'wall_clock', minutes: -5 })).to.throw(RangeError, /SLA minutes/);
    const parsed = slaSchema.safeParse({ kind: 'working_days', days: -3 });
    expect(parsed.success).to.equal(false);
    expect(parsed.error!.issues[0].path).to.deep.equal(['days']);
  });
});
