import { expect } from 'chai';
import { helsinkiLocal, isFinnishDayOff, isFinnishPublicHoliday, isOpenAt, nextOpeningAt, type TeamHours } from './hours.ts';

const weekdays = { mon: [['08:00', '16:00']], tue: [['08:00', '16:00']], wed: [['08:00', '16:00']], thu: [['08:00', '16:00']], fri: [['08:00', '16:00']] } as TeamHours['hours'];
const office: TeamHours = { hours: weekdays, hourExceptions: {}, closedOnHolidays: true };
const at = (iso: string) => new Date(iso);

describe('office hours in Europe/Helsinki', () => {
  it('reads wall-clock time in winter (UTC+2) and summer (UTC+3)', () => {
    expect(helsinkiLocal(at('2026-01-14T06:00:00Z'))).to.deep.equal({ date: '2026-01-14', weekday: 'wed', time: '08:00' });
    expect(helsinkiLocal(at('2026-07-15T05:00:00Z'))).to.deep.equal({ date: '2026-07-15', weekday: 'wed', time: '08:00' });
    expect(helsinkiLocal(at('2026-01-13T22:30:00Z')).date).to.equal('2026-01-14');
  });

  it('opens at 08:00 local before and after the spring DST change', () => {
    // Mon 23 March 2026: EET, 08:00 = 06:00Z
    expect(isOpenAt(office, at('2026-03-23T05:59:00Z'))).to.equal(false);
    expect(isOpenAt(office, at('2026-03-23T06:00:00Z'))).to.equal(true);
    // Mon 30 March 2026: EEST, 08:00 = 05:00Z
    expect(isOpenAt(office, at('2026-03-30T04:59:00Z'))).to.equal(false);
    expect(isOpenAt(office, at('2026-03-30T05:00:00Z'))).to.equal(true);
    expect(isOpenAt(office, at('2026-03-30T12:59:00Z'))).to.equal(true);
    expect(isOpenAt(office, at('2026-03-30T13:00:00Z'))).to.equal(false); // 16:00 local: end is exclusive
  });

  it('handles the skipped hour on the spring change day (Sun 29 March 2026, 03:00 → 04:00)', () => {
    const night: TeamHours = { hours: { sun: [['02:00', '05:00']] }, hourExceptions: {}, closedOnHolidays: true };
    expect(helsinkiLocal(at('2026-03-29T00:59:00Z')).time).to.equal('02:59');
    expect(helsinkiLocal(at('2026-03-29T01:00:00Z')).time).to.equal('04:00');
    expect(isOpenAt(night, at('2026-03-29T00:30:00Z'))).to.equal(true);
    expect(isOpenAt(night, at('2026-03-29T01:30:00Z'))).to.equal(true);
    expect(isOpenAt(night, at('2026-03-29T02:00:00Z'))).to.equal(false); // 05:00 EEST
  });

  it('handles the repeated hour on the autumn change day (Sun 25 October 2026, 04:00 → 03:00)', () => {
    const night: TeamHours = { hours: { sun: [['03:00', '04:00']] }, hourExceptions: {}, closedOnHolidays: true };
    expect(isOpenAt(night, at('2026-10-24T23:59:00Z'))).to.equal(false); // 02:59 EEST
    expect(isOpenAt(night, at('2026-10-25T00:30:00Z'))).to.equal(true); // 03:30 EEST
    expect(isOpenAt(night, at('2026-10-25T01:30:00Z'))).to.equal(true); // 03:30 EET, again
    expect(isOpenAt(night, at('2026-10-25T02:00:00Z'))).to.equal(false); // 04:00 EET
    // the Monday after: 08:00 EET = 06:00Z
    expect(isOpenAt(office, at('2026-10-26T05:30:00Z'))).to.equal(false);
    expect(isOpenAt(office, at('2026-10-26T06:00:00Z'))).to.equal(true);
  });

  it('knows Finnish public holidays, Easter moving each year', () => {
    for (const d of ['2026-01-01', '2026-01-06', '2026-04-03', '2026-04-05', '2026-04-06', '2026-05-01', '2026-05-14', '2026-06-20', '2026-12-06', '2026-12-25', '2026-12-26', '2025-04-18', '2025-04-21', '2025-06-21'])
      expect(isFinnishPublicHoliday(d), d).to.equal(true);
    // Not public holidays: Christmas Eve, Midsummer Eve, New Year's Eve, Mother's Day, an ordinary Tuesday
    for (const d of ['2026-12-24', '2026-06-19', '2026-12-31', '2026-05-10', '2026-04-07'])
      expect(isFinnishPublicHoliday(d), d).to.equal(false);
  });

  it('treats Christmas Eve and Midsummer Eve as days off, New Year\'s Eve and Mother\'s Day as not', () => {
    for (const d of ['2026-12-24', '2026-06-19', '2027-06-25', '2025-06-20', '2026-12-25'])
      expect(isFinnishDayOff(d), d).to.equal(true);
    for (const d of ['2026-12-31', '2026-05-10', '2026-06-18', '2027-06-18', '2026-12-23'])
      expect(isFinnishDayOff(d), d).to.equal(false);
  });

  it('closes an office team on Christmas Day and at Easter, not on the Tuesday after', () => {
    expect(isOpenAt(office, at('2026-12-25T08:00:00Z'))).to.equal(false); // Fri, Christmas Day
    expect(isOpenAt(office, at('2026-04-03T08:00:00Z'))).to.equal(false); // Good Friday
    expect(isOpenAt(office, at('2026-04-06T08:00:00Z'))).to.equal(false); // Easter Monday
    expect(isOpenAt(office, at('2026-04-07T08:00:00Z'))).to.equal(true);
  });

  it('keeps a team that ignores holidays open on Christmas Day', () => {
    const onCall: TeamHours = { ...office, closedOnHolidays: false };
    expect(isOpenAt(onCall, at('2026-12-25T08:00:00Z'))).to.equal(true);
  });

  it('closes office teams on Christmas Eve and Midsummer Eve unless an exception opens them', () => {
    expect(isOpenAt(office, at('2026-12-24T08:00:00Z'))).to.equal(false);
    expect(isOpenAt(office, at('2026-06-19T08:00:00Z'))).to.equal(false);
    const openOnEve: TeamHours = { ...office, hourExceptions: { '2026-06-19': [['08:00', '12:00']] } };
    expect(isOpenAt(openOnEve, at('2026-06-19T08:00:00Z'))).to.equal(true); // 11:00 EEST
    expect(isOpenAt(openOnEve, at('2026-06-19T09:00:00Z'))).to.equal(false); // 12:00 EEST
  });

  it('closes a Saturday team on Midsummer Day', () => {
    const sat: TeamHours = { hours: { sat: [['10:00', '14:00']] }, hourExceptions: {}, closedOnHolidays: true };
    expect(isOpenAt(sat, at('2026-06-13T08:00:00Z'))).to.equal(true);
    expect(isOpenAt(sat, at('2026-06-20T08:00:00Z'))).to.equal(false);
  });

  it('lets an exception open a team on a holiday', () => {
    const t: TeamHours = { ...office, hourExceptions: { '2026-12-25': [['10:00', '12:00']] } };
    expect(isOpenAt(t, at('2026-12-25T08:30:00Z'))).to.equal(true);
    expect(isOpenAt(t, at('2026-12-25T10:00:00Z'))).to.equal(false);
  });

  it('supports an interval ending at 24:00', () => {
    const t: TeamHours = { hours: { wed: [['00:00', '24:00']] }, hourExceptions: {}, closedOnHolidays: false };
    expect(isOpenAt(t, at('2026-01-14T21:59:00Z'))).to.equal(true); // 23:59
  });
});

describe('when a closed team opens next', () => {
  it('is the next weekday morning in Helsinki time, across weekends, holidays and the DST change', () => {
    // Friday 27 March 2026 17:00 (EET) → Monday 30 March 08:00 (EEST, after the change) = 05:00Z
    expect(nextOpeningAt(office, at('2026-03-27T15:00:00Z'))?.toISOString()).to.equal('2026-03-30T05:00:00.000Z');
    // Wednesday 07:00 → the same morning at 08:00
    expect(nextOpeningAt(office, at('2026-01-14T05:00:00Z'))?.toISOString()).to.equal('2026-01-14T06:00:00.000Z');
    // Christmas Eve 2026 is a Thursday; 24–26 December closed, then the weekend: Monday 28 December 08:00
    expect(nextOpeningAt(office, at('2026-12-23T15:00:00Z'))?.toISOString()).to.equal('2026-12-28T06:00:00.000Z');
  });

  it('follows a date exception, and says null for a team closed beyond two weeks', () => {
    const late: TeamHours = { ...office, hourExceptions: { '2026-01-15': [['12:00', '14:00']] } };
    expect(nextOpeningAt(late, at('2026-01-14T15:00:00Z'))?.toISOString()).to.equal('2026-01-15T10:00:00.000Z');
    expect(nextOpeningAt({ hours: {}, hourExceptions: {}, closedOnHolidays: true }, at('2026-01-14T15:00:00Z'))).to.equal(null);
  });
});
