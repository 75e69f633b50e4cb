// The send checks exist twice: in SQL, where matrix_append_messages checks a
// batch of message sends, and in rooms.ts (requireJoined, canSend), which
// decides state events. One table of rooms goes through both; they must agree.
import { expect } from 'chai';
import { STORE_KINDS, testDb } from '../../../tests/helpers/env.ts';
import type { Db, Queryable } from '../store/db.ts';
import type { Caller } from './context.ts';
import { MatrixError } from './errors.ts';
import { ENCRYPTED, type Membership, canSend, powerLevels, requireJoined } from './rooms.ts';
import { nextPos } from './stream.ts';

const SERVER = 'rinki.test';
const SENDER = 'sender';
const SENDER_ID = `@${SENDER}:${SERVER}`;

type Outcome = 'stored' | 'not_member' | 'power';

interface Case {
  name: string;
  /** The sender's membership; none when absent. */
  membership?: Membership;
  /** The room's m.room.power_levels content; none when the room has no such event. */
  pl?: Record<string, unknown>;
  type?: string;
}

const CASES: Case[] = [
  { name: 'no power levels event', membership: 'join' },
  { name: 'empty power levels', membership: 'join', pl: {} },
  {
    name: 'the defaults a conference is created with',
    membership: 'join',
    pl: { users: { '@creator:rinki.test': 100 }, users_default: 0, events: { 'm.room.name': 50 }, events_default: 0, state_default: 50, invite: 0 },
  },
  { name: 'events_default above users_default', membership: 'join', pl: { events_default: 50 } },
  { name: 'the sender named at the level', membership: 'join', pl: { users: { [SENDER_ID]: 50 }, events_default: 50 } },
  { name: 'users_default at the level', membership: 'join', pl: { users_default: 50, events_default: 50 } },
  { name: 'the type named above the sender', membership: 'join', pl: { users: { [SENDER_ID]: 99 }, events: { [ENCRYPTED]: 100 } } },
  { name: 'the type named below events_default', membership: 'join', pl: { events: { [ENCRYPTED]: 0 }, events_default: 100 } },
  { name: 'another type named', membership: 'join', pl: { events: { 'm.room.message': 100 } } },
  { name: 'another type sent', membership: 'join', pl: { events: { [ENCRYPTED]: 100 } }, type: 'm.room.message' },
  { name: 'a negative level', membership: 'join', pl: { users: { [SENDER_ID]: -1 } } },
  { name: 'negative and equal', membership: 'join', pl: { users_default: -5, events_default: -5 } },
  { name: 'someone else named', membership: 'join', pl: { users: { '@other:rinki.test': 100 }, events_default: 50 } },
  { name: 'a fraction above the level', membership: 'join', pl: { users: { [SENDER_ID]: 50 }, events_default: 50.5 } },
  // Anything but a JSON number falls back, at each step.
  { name: 'events_default a string', membership: 'join', pl: { events_default: '50' } },
  { name: 'events_default true', membership: 'join', pl: { events_default: true } },
  { name: "the sender's level a string", membership: 'join', pl: { users: { [SENDER_ID]: '100' }, events_default: 50 } },
  { name: "the sender's level null", membership: 'join', pl: { users: { [SENDER_ID]: null }, users_default: 60, events_default: 50 } },
  { name: "the sender's level an object", membership: 'join', pl: { users: { [SENDER_ID]: { level: 100 } }, events_default: 50 } },
  { name: "the type's level a string", membership: 'join', pl: { events: { [ENCRYPTED]: 'x' }, events_default: 50 } },
  { name: 'users an array', membership: 'join', pl: { users: [100], events_default: 50 } },
  { name: 'events a string', membership: 'join', pl: { events: 'all', events_default: 0 } },
  // Membership is decided first.
  { name: 'invited', membership: 'invite', pl: { users: { [SENDER_ID]: 100 } } },
  { name: 'invited and too low', membership: 'invite', pl: { events_default: 50 } },
  { name: 'left', membership: 'leave' },
  { name: 'banned', membership: 'ban' },
  { name: 'never in the room' },
];

/** A room per case, with its power levels event and the sender's membership as given. */
async function seedRooms(db: Db): Promise<string[]> {
  return db.tx(async (q) => {
    await q.exec(`
      INSERT INTO organisations (id, kind, parent_id, name_fi, name_sv) VALUES ('county', 'county', NULL, 'Hyvinvointialue', 'Välfärdsområde');
      INSERT INTO staff (id, organisation_id, display_name) VALUES ('${SENDER}', 'county', 'Lähettäjä'), ('creator', 'county', 'Luoja');
    `);
    const rooms: string[] = [];
    for (const [i, c] of CASES.entries()) {
      const roomId = `!case${i}:${SERVER}`;
      rooms.push(roomId);
      await q.query("INSERT INTO matrix_rooms (room_id, creator_id, root_organisation_id) VALUES ($1, 'creator', 'county')", [roomId]);
      if (c.pl) await putState(q, roomId, 'm.room.power_levels', '', c.pl);
      if (c.membership) {
        const pos = await putState(q, roomId, 'm.room.member', SENDER_ID, { membership: c.membership });
        await q.query('INSERT INTO matrix_memberships (room_id, staff_id, membership, stream_pos) VALUES ($1, $2, $3, $4)', [roomId, SENDER, c.membership, pos]);
      }
    }
    return rooms;
  });
}

async function putState(q: Queryable, roomId: string, type: string, stateKey: string, content: unknown): Promise<number> {
  const pos = await nextPos(q);
  await q.query(
    `INSERT INTO matrix_events (stream_pos, event_id, room_id, sender, type, state_key, content, origin_server_ts, sender_staff_id)
     VALUES ($1, $2, $3, '@creator:${SERVER}', $4, $5, $6::jsonb, 0, 'creator')`,
    [pos, `$state${pos}`, roomId, type, stateKey, JSON.stringify(content)],
  );
  await q.query('INSERT INTO matrix_room_state (room_id, type, state_key, stream_pos) VALUES ($1, $2, $3, $4)', [roomId, type, stateKey, pos]);
  return pos;
}

/** The SQL's answers: one batch with a send per case, as group commit sends them. */
async function sqlAnswers(db: Db, rooms: string[]): Promise<Outcome[]> {
  const rows = await db.query<{ i: number; outcome: Outcome }>(
    'SELECT i, outcome FROM matrix_append_messages($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9)',
    [
      rooms.map((_, i) => `$send${i}`),
      rooms,
      rooms.map(() => SENDER_ID),
      CASES.map((c) => c.type ?? ENCRYPTED),
      rooms.map(() => '{}'),
      rooms.map(() => SENDER),
      rooms.map(() => 'DEVICE'),
      rooms.map((_, i) => `txn${i}`),
      0,
    ],
  );
  return rows.sort((a, b) => Number(a.i) - Number(b.i)).map((r) => r.outcome);
}

/** The TypeScript's answers: requireJoined, then canSend on the power levels as rooms.ts reads them. */
async function typeScriptAnswers(db: Db, rooms: string[]): Promise<Outcome[]> {
  const caller: Caller = { staffId: SENDER, userId: SENDER_ID, deviceId: 'DEVICE', rootOrganisationId: 'county' };
  const answers: Outcome[] = [];
  for (const [i, roomId] of rooms.entries()) {
    try {
      await requireJoined(db, roomId, caller);
    } catch (err) {
      if (!(err instanceof MatrixError && err.status === 403)) throw err;
      answers.push('not_member');
      continue;
    }
    answers.push(canSend(await powerLevels(db, roomId), SENDER_ID, CASES[i].type ?? ENCRYPTED, false) ? 'stored' : 'power');
  }
  return answers;
}

for (const kind of STORE_KINDS) {
  describe(`send checks in SQL and in TypeScript (${kind})`, function () {
    this.timeout(90_000);
    let db: Db;
    let cleanup: () => Promise<void>;

    before(async () => {
      ({ db, cleanup } = await testDb(kind));
    });
    after(() => cleanup());

    it('give the same answer for every case', async () => {
      const rooms = await seedRooms(db);
      // Asked before the SQL stores anything: the stored events are messages, which neither check reads.
      const ts = await typeScriptAnswers(db, rooms);
      const sql = await sqlAnswers(db, rooms);
      const byCase = (answers: Outcome[]) => Object.fromEntries(CASES.map((c, i) => [c.name, answers[i]]));
      expect(byCase(ts)).to.deep.equal(byCase(sql));
      // The table reaches every outcome, so agreement is not agreement on one answer.
      expect(new Set(sql)).to.deep.equal(new Set(['stored', 'not_member', 'power']));
    });
  });
}
