import { expect } from 'chai';
import { type Caller, type MessageRow, clientEvent, clientEventJson } from './context.ts';

const viewer = (staffId: string, deviceId: string): Caller => ({ staffId, deviceId, userId: `@${staffId}:x`, rootOrganisationId: 'o' });

function row(over: Partial<MessageRow> = {}): MessageRow {
  return {
    stream_pos: 7,
    event_id: '$e"7',
    room_id: '!r:x',
    sender: '@anna:x',
    type: 'm.room.encrypted',
    state_key: null,
    content_json: ' {"algorithm":"m.megolm.v1.aes-sha2","ciphertext":"Aw\\u00e4\\"x","n":[1,2.5,null]} ',
    origin_server_ts: 1_764_000_000_000,
    sender_staff_id: 'anna',
    device_id: 'DEV',
    txn_id: 't"1',
    ...over,
  };
}

/** clientEventJson's pieces, joined. */
function json(r: MessageRow, v: Caller, now: number): string {
  const out: string[] = [];
  clientEventJson(r, v, now, out);
  return out.join('');
}

/** What clientEvent gives for the same row with its content parsed. */
const asObject = (r: MessageRow, v: Caller, now: number) => {
  const { content_json: text, ...rest } = r;
  return clientEvent({ ...rest, content: JSON.parse(text) }, v, now, false);
};

describe('clientEventJson', () => {
  it('is clientEvent as JSON text: for other viewers, for the sending device (its transaction id) and for state events', () => {
    const now = 1_764_000_000_250;
    for (const r of [row(), row({ state_key: '' }), row({ txn_id: null })])
      for (const v of [viewer('antti', 'D2'), viewer('anna', 'DEV'), viewer('anna', 'OTHER')])
        expect(JSON.parse(json(r, v, now))).to.deep.equal(asObject(r, v, now));
  });

  it('ages each answer anew', () => {
    const r = row();
    expect(JSON.parse(json(r, viewer('antti', 'D2'), 1_764_000_000_100)).unsigned).to.deep.equal({ age: 100 });
    expect(JSON.parse(json(r, viewer('bertta', 'D3'), 1_764_000_000_900)).unsigned).to.deep.equal({ age: 900 });
  });
});
