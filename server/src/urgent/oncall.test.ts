import { expect } from 'chai';
import { testDb } from '../../../tests/helpers/env.ts';
import { FIXTURE, makeOrgFixture } from '../directory/fixtures.ts';
import { HttpError } from '../http/errors.ts';
import type { Db } from '../store/db.ts';
import { layerShiftAt, loadSchedule, onCallCalendar, parseScheduleDefinition, saveSchedule, whoIsOnCall, type ScheduleDefinition } from './oncall.ts';

const { staff: s, orgs } = FIXTURE;

function refusal(fn: () => unknown): HttpError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HttpError) return err;
    throw err;
  }
  throw new Error('expected a refusal');
}

const daily = (over: Partial<ScheduleDefinition['layers'][number]> = {}) => ({
  name: 'päivystys',
  priority: 1,
  rotation: 'daily' as const,
  handoffTime: '16:00',
  start: '2026-10-20',
  participants: [s.countyAWorker, s.countyAOnCall],
  ...over,
});

describe('on-call schedules', () => {
  it('lays out a calendar: shifts, an override cutting into one, and a gap before the layer starts', () => {
    const def = parseScheduleDefinition({
      layers: [daily({ start: '2026-11-02' })],
      overrides: [{ staffId: s.countyAAdmin, start: '2026-11-02T18:00:00Z', end: '2026-11-02T20:00:00Z', reason: 'vaihto' }],
    });
    const segments = onCallCalendar(def, new Date('2026-11-02T12:00:00Z'), new Date('2026-11-03T15:00:00Z')).map((x) => [x.staffId, x.source, x.start.toISOString(), x.end.toISOString()]);
    expect(segments).to.deep.equal([
      [null, null, '2026-11-02T12:00:00.000Z', '2026-11-02T14:00:00.000Z'], // 16:00 EET: the layer's first shift
      [s.countyAWorker, 'layer', '2026-11-02T14:00:00.000Z', '2026-11-02T18:00:00.000Z'],
      [s.countyAAdmin, 'override', '2026-11-02T18:00:00.000Z', '2026-11-02T20:00:00.000Z'],
      [s.countyAWorker, 'layer', '2026-11-02T20:00:00.000Z', '2026-11-03T14:00:00.000Z'],
      [s.countyAOnCall, 'layer', '2026-11-03T14:00:00.000Z', '2026-11-03T15:00:00.000Z'],
    ]);
  });

  it('hands off at 16:00 Helsinki time on the day DST ends (2026-10-25): the shift before lasts 25 hours', () => {
    const def = parseScheduleDefinition({ layers: [daily()] });
    // slots: 20 Oct worker, 21 on-call, 22 worker, 23 on-call, 24 worker, 25 on-call
    const before = whoIsOnCall(def, new Date('2026-10-25T13:59:59Z')); // 15:59:59 EET
    expect(before).to.include({ staffId: s.countyAWorker, source: 'layer', detail: 'päivystys' });
    expect(before!.until.toISOString()).to.equal('2026-10-25T14:00:00.000Z');
    const shift = layerShiftAt(def.layers[0], new Date('2026-10-25T12:00:00Z'))!;
    expect(shift.start.toISOString()).to.equal('2026-10-24T13:00:00.000Z'); // 16:00 EEST
    expect(shift.end.getTime() - shift.start.getTime()).to.equal(25 * 3_600_000);
    expect(whoIsOnCall(def, new Date('2026-10-25T14:00:00Z'))!.staffId).to.equal(s.countyAOnCall); // 16:00 EET
    // the day before, 16:00 was 13:00 UTC
    expect(whoIsOnCall(def, new Date('2026-10-24T12:59:00Z'))!.staffId).to.equal(s.countyAOnCall);
    expect(whoIsOnCall(def, new Date('2026-10-24T13:00:00Z'))!.staffId).to.equal(s.countyAWorker);
    // nobody before the first hand-off
    expect(whoIsOnCall(def, new Date('2026-10-20T12:59:00Z'))).to.equal(undefined);
  });

  it('weekly rotations hand off every seventh day', () => {
    const def = parseScheduleDefinition({ layers: [daily({ rotation: 'weekly', handoffTime: '08:00', start: '2026-11-02' })] });
    expect(whoIsOnCall(def, new Date('2026-11-08T12:00:00Z'))!.staffId).to.equal(s.countyAWorker);
    expect(whoIsOnCall(def, new Date('2026-11-09T05:59:00Z'))!.staffId).to.equal(s.countyAWorker);
    expect(whoIsOnCall(def, new Date('2026-11-09T06:00:00Z'))!.staffId).to.equal(s.countyAOnCall);
    expect(whoIsOnCall(def, new Date('2026-11-16T06:00:00Z'))!.staffId).to.equal(s.countyAWorker);
  });

  it('an override for a sick day wins over the layers; a higher-priority layer wins over a lower one', () => {
    const def = parseScheduleDefinition({
      layers: [
        daily(),
        daily({ name: 'viikonloppu', priority: 2, rotation: 'daily', handoffTime: '16:00', start: '2026-10-23', end: '2026-10-26', participants: [s.countyAContact] }),
      ],
      overrides: [{ staffId: s.countyAContact, start: '2026-10-22T05:00:00Z', end: '2026-10-22T14:00:00Z', reason: 'sairauspoissaolo' }],
    });
    // 22 Oct 10:00 EEST falls in the on-call person's slot (21 Oct 16:00 → 22 Oct 16:00); the override wins
    expect(whoIsOnCall(def, new Date('2026-10-22T07:00:00Z'))).to.include({ staffId: s.countyAContact, source: 'override', detail: 'sairauspoissaolo' });
    expect(whoIsOnCall(def, new Date('2026-10-22T14:00:00Z'))).to.include({ staffId: s.countyAWorker, source: 'layer', detail: 'päivystys' });
    // the weekend layer covers 23 Oct 16:00 → 26 Oct 16:00
    expect(whoIsOnCall(def, new Date('2026-10-24T10:00:00Z'))).to.include({ staffId: s.countyAContact, detail: 'viikonloppu' });
    expect(whoIsOnCall(def, new Date('2026-10-26T14:00:00Z'))).to.include({ detail: 'päivystys' });
  });

  it('refuses layers it cannot resolve, empty durations and malformed fields with messages naming the field', () => {
    let e = refusal(() => parseScheduleDefinition({ layers: [daily(), daily({ name: 'toinen' })] }));
    expect(e.status).to.equal(400);
    expect(e.message).to.match(/layers 'päivystys' and 'toinen' overlap with the same priority 1/);
    expect(e.issues![0].path).to.equal('definition.layers.1.priority');
    // the same priority is fine when the dates do not overlap
    parseScheduleDefinition({ layers: [daily({ end: '2026-10-25' }), daily({ name: 'toinen', start: '2026-10-25' })] });
    e = refusal(() => parseScheduleDefinition({ layers: [daily({ end: '2026-10-20' })] }));
    expect(e.issues![0]).to.deep.include({ path: 'definition.layers.0.end' });
    e = refusal(() => parseScheduleDefinition({ layers: [daily()], overrides: [{ staffId: s.countyAWorker, start: '2026-10-22T05:00:00Z', end: '2026-10-22T04:00:00Z' }] }));
    expect(e.issues![0].path).to.equal('definition.overrides.0.end');
    e = refusal(() => parseScheduleDefinition({ layers: [daily({ handoffTime: '24:00' })] }));
    expect(e.message).to.match(/definition.layers.0.handoffTime: must be HH:MM/);
    e = refusal(() => parseScheduleDefinition({ layers: [daily()], timezone: 'Europe/Stockholm' }));
    expect(e.issues![0].path).to.equal('definition.timezone');
    e = refusal(() => parseScheduleDefinition({ layers: [{ ...daily(), colour: 'red' }] }));
    expect(e.issues![0].path).to.equal('definition.layers.0');
    e = refusal(() => parseScheduleDefinition({ layers: [daily({ participants: [] })] }));
    expect(e.issues![0].path).to.equal('definition.layers.0.participants');
  });

  describe('storage', () => {
    let db: Db;
    let cleanup: () => Promise<void>;
    before(async () => {
      ({ db, cleanup } = await testDb('pglite'));
      await makeOrgFixture(db);
    });
    after(() => cleanup());

    it('stores a valid schedule and refuses unknown or other-organisation staff, writing nothing', async () => {
      const saved = await saveSchedule(db, { id: 'a-oncall', organisationId: orgs.countyA, name: 'A päivystys', definition: { layers: [daily()] } });
      expect(saved.definition.timezone).to.equal('Europe/Helsinki');
      expect((await loadSchedule(db, 'a-oncall'))!.definition.layers[0].participants).to.deep.equal([s.countyAWorker, s.countyAOnCall]);
      for (const who of ['nobody', s.countyBWorker]) {
        let err: unknown;
        try {
          await db.tx((q) => saveSchedule(q, { id: 'a-bad', organisationId: orgs.countyA, name: 'x', definition: { layers: [daily({ participants: [s.countyAWorker, who] })] } }));
        } catch (e) {
          err = e;
        }
        expect(err).to.be.instanceOf(HttpError);
        expect((err as HttpError).message).to.include(`definition.layers.0.participants.1: unknown staff '${who}' in this organisation`);
      }
      // another organisation cannot take over a schedule id
      let err: unknown;
      try {
        await db.tx((q) => saveSchedule(q, { id: 'a-oncall', organisationId: orgs.countyB, name: 'B', definition: { layers: [daily({ participants: [s.countyBWorker] })] } }));
      } catch (e) {
        err = e;
      }
      expect((err as HttpError).message).to.match(/belongs to another organisation/);
      expect((await db.query('SELECT id, organisation_id FROM oncall_schedules')).map((r) => r.id)).to.deep.equal(['a-oncall']);
      expect((await loadSchedule(db, 'a-oncall'))!.organisationId).to.equal(orgs.countyA);
    });
  });
});
