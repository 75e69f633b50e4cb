// The Client-Server API to the letter of the spec, over raw HTTP: error codes,
// refusals that write nothing, membership as the policy decides, exactly-once
// keys and to-device messages, rate limits.
import { expect } from 'chai';
import { STORE_KINDS, apiTokenFor, startTestRinki, type TestRinki } from '../helpers/env.ts';
import { FIXTURE } from '../../server/src/directory/fixtures.ts';
import { grantConferenceAccess } from '../../server/src/matrix/rooms.ts';
import { MX_PEOPLE, MX_PASSWORD, mx, passwordLogin, seedMatrixPeople, type Session } from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';
const enc = encodeURIComponent;
const ciphertext = (n: number) => ({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: `AwgAEnB${n}`, device_id: 'X', sender_key: 'k', session_id: 's' });

for (const store of STORE_KINDS)
describe(`Matrix Client-Server API: spec errors and policy (${store})`, function () {
  this.timeout(60_000);
  let rinki: TestRinki;
  let anna: Session;
  let antti: Session;
  let bertta: Session;
  let roomId: string;
  const call = (method: string, path: string, s?: Session, body?: unknown) => mx(rinki.url, method, path, s?.access_token, body);
  const count = async (table: string) => (await rinki.deps.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  before(async () => {
    rinki = await startTestRinki({ store });
    await seedMatrixPeople(rinki.deps.db);
    anna = await passwordLogin(rinki.url, 'anna');
    antti = await passwordLogin(rinki.url, 'antti');
    bertta = await passwordLogin(rinki.url, 'bertta');
    const r = await call('POST', `${C}/createRoom`, anna, { invite: [antti.user_id] });
    expect(r.status).to.equal(200);
    roomId = r.body.room_id as string;
    expect((await call('POST', `${C}/join/${enc(roomId)}`, antti, {})).status).to.equal(200);
  });
  after(async () => rinki?.cleanup());

  describe('discovery and login', () => {
    it('answers versions, well-known, login flows and whoami', async () => {
      expect((await call('GET', '/_matrix/client/versions')).body.versions).to.include('v1.11');
      expect((await call('GET', '/.well-known/matrix/client')).body).to.have.nested.property('m\\.homeserver.base_url');
      expect((await call('GET', `${C}/login`)).body.flows).to.deep.include({ type: 'm.login.password' });
      const who = await call('GET', `${C}/account/whoami`, anna);
      expect(who.body).to.deep.equal({ user_id: anna.user_id, device_id: anna.device_id, is_guest: false });
      expect(anna.user_id).to.equal(`@${MX_PEOPLE.anna}:${rinki.deps.config.matrixServerName}`);
    });

    it('refuses a wrong password with 403 M_FORBIDDEN and an unknown login type with 400', async () => {
      const bad = await call('POST', `${C}/login`, undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'anna' }, password: 'nope' });
      expect(bad.status).to.equal(403);
      expect(bad.body.errcode).to.equal('M_FORBIDDEN');
      const unknownUser = await call('POST', `${C}/login`, undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'nobody' }, password: MX_PASSWORD });
      expect(unknownUser.body).to.deep.equal(bad.body);
      const weird = await call('POST', `${C}/login`, undefined, { type: 'm.login.sso' });
      expect(weird.status).to.equal(400);
      expect(weird.body.errcode).to.equal('M_UNKNOWN');
    });

    it('answers 401 M_MISSING_TOKEN without a token and M_UNKNOWN_TOKEN with a wrong one', async () => {
      const missing = await call('GET', `${C}/account/whoami`);
      expect(missing.status).to.equal(401);
      expect(missing.body.errcode).to.equal('M_MISSING_TOKEN');
      const unknown = await mx(rinki.url, 'GET', `${C}/account/whoami`, 'not-a-real-token-at-all');
      expect(unknown.status).to.equal(401);
      expect(unknown.body.errcode).to.equal('M_UNKNOWN_TOKEN');
      expect(unknown.body.soft_logout).to.equal(false);
      // A control-plane API token is not a Matrix token.
      const { apiTokenFor } = await import('../helpers/env.ts');
      const api = await mx(rinki.url, 'GET', `${C}/account/whoami`, await apiTokenFor(rinki, MX_PEOPLE.anna));
      expect(api.body.errcode).to.equal('M_UNKNOWN_TOKEN');
    });

    it('answers M_UNRECOGNIZED: 404 for unknown endpoints, 405 for a known path with another method', async () => {
      const unknown = await call('GET', `${C}/no/such/thing`, anna);
      expect(unknown.status).to.equal(404);
      expect(unknown.body.errcode).to.equal('M_UNRECOGNIZED');
      const wrongMethod = await call('DELETE', `${C}/sync`, anna);
      expect(wrongMethod.status).to.equal(405);
      expect(wrongMethod.body.errcode).to.equal('M_UNRECOGNIZED');
    });

    it('answers with open CORS and headers that keep answers from being sniffed, framed or cached', async () => {
      const res = await fetch(`${rinki.url}${C}/account/whoami`, { headers: { authorization: `Bearer ${anna.access_token}` } });
      expect(res.status).to.equal(200);
      expect(res.headers.get('access-control-allow-origin')).to.equal('*');
      expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
      expect(res.headers.get('x-frame-options')).to.equal('DENY');
      expect(res.headers.get('cache-control')).to.equal('no-store');
      expect(res.headers.get('content-security-policy')).to.include("default-src 'none'");
      expect(res.headers.get('x-request-id')).to.match(/^[0-9a-f-]{36}$/);
      const preflight = await fetch(`${rinki.url}${C}/sync`, { method: 'OPTIONS' });
      expect(preflight.status).to.equal(204);
      expect(preflight.headers.get('access-control-allow-headers')).to.include('Authorization');
    });

    it('refuses the Matrix token of a person an admin deactivates, at once', async () => {
      const s = await passwordLogin(rinki.url, 'arto');
      expect((await call('GET', `${C}/account/whoami`, s)).status).to.equal(200);
      const admin = await apiTokenFor(rinki, FIXTURE.staff.countyAAdmin);
      const res = await fetch(`${rinki.url}/api/staff/${MX_PEOPLE.arto}`, { method: 'DELETE', headers: { authorization: `Bearer ${admin}` } });
      expect(res.status).to.equal(204);
      try {
        expect((await call('GET', `${C}/account/whoami`, s)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
      } finally {
        await rinki.deps.db.query('UPDATE staff SET active = true WHERE id = $1', [MX_PEOPLE.arto]);
      }
    });

    it('logs out: the token stops working and the device is gone', async () => {
      const s = await passwordLogin(rinki.url, 'anna');
      expect((await call('POST', `${C}/logout`, s)).status).to.equal(200);
      expect((await call('GET', `${C}/account/whoami`, s)).body.errcode).to.equal('M_UNKNOWN_TOKEN');
      const devices = (await call('GET', `${C}/devices`, anna)).body.devices as { device_id: string }[];
      expect(devices.map((d) => d.device_id)).to.not.include(s.device_id);
    });

    it('serves push rules and capabilities the SDK needs', async () => {
      const rules = await call('GET', `${C}/pushrules/`, anna);
      expect(rules.status).to.equal(200);
      expect((rules.body.global as { override: { rule_id: string }[] }).override.map((r) => r.rule_id)).to.include('.m.rule.master');
      expect((await call('GET', `${C}/capabilities`, anna)).body).to.have.nested.property('capabilities.m\\.room_versions.default', '10');
      expect((await call('GET', `${C}/room_keys/version`, anna)).body.errcode).to.equal('M_NOT_FOUND');
    });
  });

  describe('bodies', () => {
    it('answers malformed JSON with 400 M_NOT_JSON and wrong shapes with 400 M_BAD_JSON, storing nothing', async () => {
      const rooms = await count('matrix_rooms');
      const notJson = await call('POST', `${C}/createRoom`, anna, '{"name": ');
      expect(notJson.status).to.equal(400);
      expect(notJson.body.errcode).to.equal('M_NOT_JSON');
      const array = await call('POST', `${C}/createRoom`, anna, '[]');
      expect(array.body.errcode).to.equal('M_BAD_JSON');
      const shape = await call('POST', `${C}/createRoom`, anna, { invite: 'everyone' });
      expect(shape.status).to.equal(400);
      expect(shape.body.errcode).to.equal('M_BAD_JSON');
      expect(shape.body.error).to.include('invite');
      const keys = await call('POST', `${C}/keys/upload`, anna, { one_time_keys: { 'signed_curve25519:A': 42 } });
      expect(keys.body.errcode).to.equal('M_BAD_JSON');
      expect(await count('matrix_rooms')).to.equal(rooms);
      expect(await count('matrix_one_time_keys')).to.equal(0);
    });

    it('refuses with 400 M_BAD_JSON, storing nothing, text the store cannot hold: U+0000 or an unpaired surrogate', async () => {
      const events = await count('matrix_events');
      const send = (txn: string, raw: string) => call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/${txn}`, anna, raw);
      for (const [i, raw] of [
        '{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"a\\u0000b"}',
        '{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"\\ud800"}',
        '{"algorithm":"m.megolm.v1.aes-sha2","ciphertext":["\\udc00x"]}',
        '{"algorithm":"m.megolm.v1.aes-sha2","\\u0000":"key"}',
      ].entries()) {
        const r = await send(`bad-${i}`, raw);
        expect(r.status, raw).to.equal(400);
        expect(r.body.errcode).to.equal('M_BAD_JSON');
      }
      // In a path parameter: the database refuses it, and that is a 400 too.
      const txn = await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/bad%00txn`, anna, ciphertext(9));
      expect(txn.status).to.equal(400);
      expect(txn.body.errcode).to.equal('M_INVALID_PARAM');
      const data = await call('PUT', `${C}/user/${enc(anna.user_id)}/account_data/fi.rinki.test`, anna, '{"note":"\\u0000"}');
      expect(data.body.errcode).to.equal('M_BAD_JSON');
      expect(await count('matrix_events')).to.equal(events);
      expect((await rinki.deps.db.query(`SELECT 1 FROM matrix_account_data WHERE type = 'fi.rinki.test'`)).length).to.equal(0);
      // A pair of escapes that makes one character, and an escaped backslash before "u0000", are fine
      // (in global account data: a conference's events hold only base64 ciphertext and codes).
      const pair = await call('PUT', `${C}/user/${enc(anna.user_id)}/account_data/fi.rinki.test`, anna, '{"note":"\\ud83d\\ude00 \\\\u0000"}');
      expect(pair.status).to.equal(200);
      const stored = await call('GET', `${C}/user/${enc(anna.user_id)}/account_data/fi.rinki.test`, anna);
      expect(stored.body.note).to.equal('\u{1F600} \\u0000');
    });

    it('refuses a public room or a weakened conference with 403 M_FORBIDDEN', async () => {
      const rooms = await count('matrix_rooms');
      expect((await call('POST', `${C}/createRoom`, anna, { preset: 'public_chat' })).body.errcode).to.equal('M_FORBIDDEN');
      const plain = await call('POST', `${C}/createRoom`, anna, {
        initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'shared' } }],
      });
      expect(plain.status).to.equal(403);
      expect(await count('matrix_rooms')).to.equal(rooms);
      const weaken = await call('PUT', `${C}/rooms/${enc(roomId)}/state/m.room.join_rules/`, anna, { join_rule: 'public' });
      expect(weaken.status).to.equal(403);
      const state = await call('GET', `${C}/rooms/${enc(roomId)}/state/m.room.encryption`, anna);
      expect(state.body).to.deep.equal({ algorithm: 'm.megolm.v1.aes-sha2' });
    });
  });

  describe('conference rules', () => {
    it('refuses plaintext m.room.message with 403 M_FORBIDDEN and stores nothing', async () => {
      const events = await count('matrix_events');
      const r = await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.message/t1`, anna, { msgtype: 'm.text', body: 'plain words' });
      expect(r.status).to.equal(403);
      expect(r.body.errcode).to.equal('M_FORBIDDEN');
      expect(await count('matrix_events')).to.equal(events);
    });

    it('accepts m.room.encrypted once per transaction id', async () => {
      const first = await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/txn-1`, anna, ciphertext(1));
      const again = await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/txn-1`, anna, ciphertext(1));
      expect(first.status).to.equal(200);
      expect(again.body.event_id).to.equal(first.body.event_id);
      const rows = await rinki.deps.db.query(`SELECT 1 FROM matrix_events WHERE txn_id = 'txn-1'`);
      expect(rows).to.have.length(1);
      const ev = await call('GET', `${C}/rooms/${enc(roomId)}/event/${enc(first.body.event_id as string)}`, antti);
      expect(ev.body).to.include({ type: 'm.room.encrypted', sender: anna.user_id });
    });

    it('checks each send against membership and power levels, storing nothing refused', async () => {
      const room = (await call('POST', `${C}/createRoom`, anna, { invite: [antti.user_id] })).body.room_id as string;
      expect((await call('POST', `${C}/join/${enc(room)}`, antti, {})).status).to.equal(200);
      const pl = (await call('GET', `${C}/rooms/${enc(room)}/state/m.room.power_levels`, anna)).body;
      const raised = { ...pl, events: { ...(pl.events as object), 'm.room.encrypted': 50 } };
      expect((await call('PUT', `${C}/rooms/${enc(room)}/state/m.room.power_levels/`, anna, raised)).status).to.equal(200);
      const events = await count('matrix_events');
      const low = await call('PUT', `${C}/rooms/${enc(room)}/send/m.room.encrypted/pl-1`, antti, ciphertext(1));
      expect(low.status).to.equal(403);
      expect(low.body).to.include({ errcode: 'M_FORBIDDEN' });
      expect(low.body.error).to.match(/power level/);
      const outsider = await call('PUT', `${C}/rooms/${enc(room)}/send/m.room.encrypted/pl-2`, bertta, ciphertext(1));
      expect(outsider.status).to.equal(403);
      expect(outsider.body.error).to.match(/not a member/);
      expect(await count('matrix_events')).to.equal(events);
      expect((await call('PUT', `${C}/rooms/${enc(room)}/send/m.room.encrypted/pl-3`, anna, ciphertext(1))).status).to.equal(200);
    });

    it('refuses to invite someone the policy does not allow (another county) until routing grants access', async () => {
      const r = await call('POST', `${C}/rooms/${enc(roomId)}/invite`, anna, { user_id: bertta.user_id });
      expect(r.status).to.equal(403);
      expect(r.body.errcode).to.equal('M_FORBIDDEN');
      const nobody = await call('POST', `${C}/rooms/${enc(roomId)}/invite`, anna, { user_id: `@nobody:${rinki.deps.config.matrixServerName}` });
      expect(nobody.body).to.deep.equal(r.body);
      const createWith = await call('POST', `${C}/createRoom`, anna, { invite: [bertta.user_id] });
      expect(createWith.status).to.equal(403);
      expect((await call('POST', `${C}/join/${enc(roomId)}`, bertta, {})).body.errcode).to.equal('M_FORBIDDEN');

      await grantConferenceAccess(rinki.deps.db, roomId, MX_PEOPLE.bertta, 'accepted ring');
      expect((await call('POST', `${C}/rooms/${enc(roomId)}/invite`, anna, { user_id: bertta.user_id })).status).to.equal(200);
      // Invited, not yet joined: still no reading.
      expect((await call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b`, bertta)).status).to.equal(403);
      await call('POST', `${C}/rooms/${enc(roomId)}/leave`, bertta, {});
    });

    it('keeps non-members out: /messages, /state, /members answer 403 M_FORBIDDEN', async () => {
      for (const p of ['messages?dir=b', 'state', 'members', 'joined_members', 'state/m.room.encryption']) {
        const r = await call('GET', `${C}/rooms/${enc(roomId)}/${p}`, bertta);
        expect(r.status, p).to.equal(403);
        expect(r.body.errcode, p).to.equal('M_FORBIDDEN');
      }
      const send = await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/x1`, bertta, ciphertext(9));
      expect(send.body.errcode).to.equal('M_FORBIDDEN');
    });

    it('never shows a room of one county in the sync of another county\'s worker', async () => {
      const own = await call('GET', `${C}/sync?timeout=0`, anna);
      expect(Object.keys((own.body.rooms as { join: object }).join)).to.include(roomId);
      const other = await call('GET', `${C}/sync?timeout=0`, bertta);
      const rooms = other.body.rooms as { join: object; invite: object; leave: object };
      expect(Object.keys(rooms.join)).to.not.include(roomId);
      expect(Object.keys(rooms.invite)).to.not.include(roomId);
      expect(JSON.stringify(other.body)).to.not.include(roomId);
      const profile = await call('GET', `${C}/profile/${enc(anna.user_id)}`, bertta);
      expect(profile.status).to.equal(404);
    });

    it('pages history backwards and forwards with /messages', async () => {
      for (let i = 0; i < 3; i++) await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/page-${i}`, anna, ciphertext(100 + i));
      const back = await call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b&limit=2`, antti);
      expect((back.body.chunk as unknown[]).length).to.equal(2);
      const older = await call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=b&limit=2&from=${back.body.end}`, antti);
      const forward = await call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=f&limit=100&from=${older.body.end}`, antti);
      const ids = (r: { body: Record<string, unknown> }) => (r.body.chunk as { event_id: string }[]).map((e) => e.event_id);
      expect(ids(forward)).to.include.members([...ids(back), ...ids(older)]);
      expect((await call('GET', `${C}/rooms/${enc(roomId)}/messages?dir=x`, antti)).body.errcode).to.equal('M_INVALID_PARAM');
      const middle = ids(back)[1];
      const context = await call('GET', `${C}/rooms/${enc(roomId)}/context/${enc(middle)}?limit=2`, antti);
      expect((context.body.event as { event_id: string }).event_id).to.equal(middle);
      expect(context.body.events_after as unknown[]).to.have.length(1);
      expect((await call('GET', `${C}/rooms/${enc(roomId)}/context/${enc(middle)}`, bertta)).body.errcode).to.equal('M_FORBIDDEN');
    });
  });

  describe('nothing in clear in a conference', () => {
    const state = (type: string, content: unknown, s = anna) => call('PUT', `${C}/rooms/${enc(roomId)}/state/${type}/`, s, content);
    const roomData = (type: string, content: unknown) => call('PUT', `${C}/user/${enc(anna.user_id)}/rooms/${enc(roomId)}/account_data/${type}`, anna, content);

    it('takes room names and topics only as request-type codes, at creation and as state', async () => {
      const rooms = await count('matrix_rooms');
      const events = await count('matrix_events');
      for (const body of [
        { name: 'Matti Meikäläinen, toimeentulotuki' },
        { topic: 'asiakas uhkasi vahingoittaa itseään' },
        { initial_state: [{ type: 'm.room.name', state_key: '', content: { name: 'Matti M.' } }] },
        { creation_content: { note: 'asiakkaan asia' } },
      ]) {
        const r = await call('POST', `${C}/createRoom`, anna, body);
        expect(r.status, JSON.stringify(body)).to.equal(400);
        expect(r.body.errcode).to.equal('M_BAD_JSON');
      }
      expect(await count('matrix_rooms')).to.equal(rooms);
      for (const [type, content] of [
        ['m.room.name', { name: 'Matti Meikäläinen' }],
        ['m.room.topic', { topic: 'toimeentulotuki, 3 lasta' }],
        ['m.room.name', { name: 'konsultaatio', note: 'piilotettu teksti' }],
        ['m.room.topic', { topic: 'konsultaatio', 'm.topic': [{ body: 'vapaata tekstiä', mimetype: 'text/plain' }] }],
        ['m.room.pinned_events', { pinned: ['ei tapahtuma'] }],
        ['m.room.power_levels', { users: { [anna.user_id]: 100 }, note: 'vapaata tekstiä' }],
        ['m.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2', note: 'vapaata tekstiä' }],
      ] as const) {
        const r = await state(type, content);
        expect(r.status, `${type} ${JSON.stringify(content)}`).to.equal(400);
        expect(r.body.errcode).to.equal('M_BAD_JSON');
      }
      expect(await count('matrix_events')).to.equal(events);
      // Codes pass, at creation and as state.
      const coded = await call('POST', `${C}/createRoom`, anna, { name: 'lausuntopyynto', topic: 'kiireellinen' });
      expect(coded.status).to.equal(200);
      expect((await state('m.room.name', { name: 'konsultaatio' })).status).to.equal(200);
      expect((await state('m.room.topic', { topic: 'konsultaatio', 'm.topic': [{ body: 'konsultaatio', mimetype: 'text/plain' }] })).status).to.equal(200);
      expect((await call('GET', `${C}/rooms/${enc(roomId)}/state/m.room.name`, anna)).body).to.deep.equal({ name: 'konsultaatio' });
    });

    it('keeps free text out of membership: no reasons, no self-chosen names', async () => {
      const events = await count('matrix_events');
      const invite = await call('POST', `${C}/rooms/${enc(roomId)}/invite`, anna, { user_id: `@${MX_PEOPLE.arto}:${rinki.deps.config.matrixServerName}`, reason: 'asiakas Matti' });
      expect(invite.status).to.equal(400);
      const leave = await call('POST', `${C}/rooms/${enc(roomId)}/leave`, antti, { reason: 'asiakas muutti' });
      expect(leave.status).to.equal(400);
      const rename = await state(`m.room.member/${enc(antti.user_id)}`, { membership: 'join', displayname: 'Matti Meikäläisen asia' }, antti);
      expect(rename.status).to.equal(403);
      expect(await count('matrix_events')).to.equal(events);
    });

    it('takes room account data only of known types with code values', async () => {
      const rows = await count('matrix_account_data');
      for (const content of [{ tags: { 'Matti Meikäläinen': {} } }, { tags: { 'u.asiakas Matti': {} } }, { tags: { 'm.favourite': { order: 0.5, note: 'x' } } }, { tags: {}, note: 'x' }]) {
        const r = await roomData('m.tag', content);
        expect(r.status, JSON.stringify(content)).to.equal(400);
        expect(r.body.errcode).to.equal('M_BAD_JSON');
      }
      const other = await roomData('fi.example.notes', { text: 'asiakkaan tilanne' });
      expect(other.status).to.equal(403);
      expect(other.body.errcode).to.equal('M_FORBIDDEN');
      expect(await count('matrix_account_data')).to.equal(rows);
      expect((await roomData('m.tag', { tags: { 'm.favourite': { order: 0.5 }, 'u.kiire': {} } })).status).to.equal(200);
      expect((await roomData('m.marked_unread', { unread: true })).status).to.equal(200);
    });

    it('takes m.room.encrypted only as Megolm ciphertext, nothing readable beside it', async () => {
      const events = await count('matrix_events');
      const send = (txn: string, content: unknown) => call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/${txn}`, anna, content);
      const { device_id: _d, sender_key: _k, ...minimal } = ciphertext(900);
      for (const [i, content] of [
        { ...ciphertext(901), body: 'asiakas Matti Meikäläinen' },
        { ...ciphertext(902), 'm.new_content': { body: 'teksti' } },
        { algorithm: 'm.megolm.v1.aes-sha2', session_id: 's' },
        { ...ciphertext(903), ciphertext: { text: 'ei merkkijono' } },
        { ...ciphertext(904), ciphertext: 'selvää tekstiä' },
        { ...ciphertext(905), algorithm: 'm.olm.v1.curve25519-aes-sha2' },
        { ...ciphertext(906), 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: 'vapaata tekstiä' } },
        { msgtype: 'm.text', body: 'selvää tekstiä' },
      ].entries()) {
        const r = await send(`clear-${i}`, content);
        expect(r.status, JSON.stringify(content)).to.equal(400);
        expect(r.body.errcode).to.equal('M_BAD_JSON');
      }
      expect(await count('matrix_events')).to.equal(events);
      // Without the deprecated sender_key and device_id, and with a reply's ids in clear, as the spec allows.
      expect((await send('ok-1', minimal)).status).to.equal(200);
      expect((await send('ok-2', { ...minimal, 'm.relates_to': { 'm.in_reply_to': { event_id: '$abc' } } })).status).to.equal(200);
    });
  });

  describe('keys and to-device', () => {
    it('hands a one-time key to exactly one of two concurrent claimers, then the fallback key', async () => {
      const up = await call('POST', `${C}/keys/upload`, antti, {
        one_time_keys: { 'signed_curve25519:AAAA': { key: 'otk-one', signatures: {} } },
        fallback_keys: { 'signed_curve25519:FFFF': { key: 'fallback', fallback: true, signatures: {} } },
      });
      expect(up.body.one_time_key_counts).to.deep.equal({ signed_curve25519: 1 });
      const claim = { one_time_keys: { [antti.user_id]: { [antti.device_id]: 'signed_curve25519' } } };
      const [a, b] = await Promise.all([call('POST', `${C}/keys/claim`, anna, claim), call('POST', `${C}/keys/claim`, anna, claim)]);
      const got = [a, b].map((r) => Object.keys((r.body.one_time_keys as Record<string, Record<string, object>>)[antti.user_id][antti.device_id])[0]);
      expect(got.sort()).to.deep.equal(['signed_curve25519:AAAA', 'signed_curve25519:FFFF']);
      const sync = await call('GET', `${C}/sync?timeout=0`, antti);
      expect(sync.body.device_one_time_keys_count).to.deep.equal({ signed_curve25519: 0 });
      expect(sync.body.device_unused_fallback_key_types).to.deep.equal([]);
      // Someone who shares no room with antti gets nothing.
      const stranger = await call('POST', `${C}/keys/claim`, bertta, claim);
      expect(stranger.body.one_time_keys).to.deep.equal({});
    });

    it('delivers a to-device message exactly once, until a sync acknowledges it', async () => {
      const first = await call('GET', `${C}/sync?timeout=0`, antti);
      const since = first.body.next_batch as string;
      const msg = { messages: { [antti.user_id]: { [antti.device_id]: { algorithm: 'm.olm.v1.curve25519-aes-sha2', ciphertext: {} } } } };
      expect((await call('PUT', `${C}/sendToDevice/m.room.encrypted/td-1`, anna, msg)).status).to.equal(200);
      expect((await call('PUT', `${C}/sendToDevice/m.room.encrypted/td-1`, anna, msg)).status).to.equal(200);
      const s1 = await call('GET', `${C}/sync?timeout=0&since=${since}`, antti);
      expect((s1.body.to_device as { events: unknown[] }).events).to.have.length(1);
      // The same since again (a lost answer): delivered again, not lost.
      const again = await call('GET', `${C}/sync?timeout=0&since=${since}`, antti);
      expect((again.body.to_device as { events: unknown[] }).events).to.have.length(1);
      const s2 = await call('GET', `${C}/sync?timeout=0&since=${s1.body.next_batch}`, antti);
      expect((s2.body.to_device as { events: unknown[] }).events).to.have.length(0);
      expect(await count('matrix_to_device')).to.equal(0);
    });

    it('wakes a waiting /sync as soon as something arrives', async () => {
      const first = await call('GET', `${C}/sync?timeout=0`, antti);
      const waiting = call('GET', `${C}/sync?timeout=20000&since=${first.body.next_batch}`, antti);
      await new Promise((r) => setTimeout(r, 200));
      await call('PUT', `${C}/rooms/${enc(roomId)}/send/m.room.encrypted/wake-1`, anna, ciphertext(7));
      const r = await waiting;
      const timeline = ((r.body.rooms as { join: Record<string, { timeline: { events: { type: string }[] } }> }).join[roomId]).timeline.events;
      expect(timeline.map((e) => e.type)).to.deep.equal(['m.room.encrypted']);
    });
  });
});

describe('Matrix Client-Server API: rate limits', function () {
  this.timeout(60_000);
  let rinki: TestRinki;
  before(async () => {
    rinki = await startTestRinki({ store: 'pglite', env: { SEND_RATE_LIMIT: '2', LOGIN_RATE_LIMIT: '2' } });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => rinki?.cleanup());

  it('answers too many sends with 429 M_LIMIT_EXCEEDED and retry_after_ms', async () => {
    const anna = await passwordLogin(rinki.url, 'anna');
    const room = (await mx(rinki.url, 'POST', `${C}/createRoom`, anna.access_token, {})).body.room_id as string;
    const send = (i: number) => mx(rinki.url, 'PUT', `${C}/rooms/${enc(room)}/send/m.room.encrypted/r${i}`, anna.access_token, ciphertext(i));
    expect((await send(1)).status).to.equal(200);
    expect((await send(2)).status).to.equal(200);
    const limited = await send(3);
    expect(limited.status).to.equal(429);
    expect(limited.body.errcode).to.equal('M_LIMIT_EXCEEDED');
    expect(limited.body.retry_after_ms).to.be.a('number').above(0);
  });

  it('answers repeated failed logins with 429 M_LIMIT_EXCEEDED', async () => {
    const attempt = () =>
      mx(rinki.url, 'POST', `${C}/login`, undefined, { type: 'm.login.password', identifier: { type: 'm.id.user', user: 'antti' }, password: 'wrong' });
    expect((await attempt()).status).to.equal(403);
    expect((await attempt()).status).to.equal(403);
    const limited = await attempt();
    expect(limited.status).to.equal(429);
    expect(limited.body.errcode).to.equal('M_LIMIT_EXCEEDED');
    expect(limited.body.retry_after_ms).to.be.a('number');
  });
});
