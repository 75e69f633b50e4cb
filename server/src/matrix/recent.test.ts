import { expect } from 'chai';
import { type MessageBatch, type RecentEvent, RecentMessages } from './recent.ts';

/** A batch of positions first..last, one event per position, in `room` with `joined` members. */
function batch(first: number, last: number, joined: string[], room = '!r:x'): MessageBatch {
  const events: RecentEvent[] = [];
  for (let pos = first; pos <= last; pos++)
    events.push({
      stream_pos: pos,
      event_id: `$e${pos}`,
      room_id: room,
      sender: '@a:x',
      type: 'm.room.encrypted',
      state_key: null,
      content_json: '{}',
      origin_server_ts: 0,
      sender_staff_id: 'a',
      device_id: 'D',
      txn_id: `t${pos}`,
      joined,
    });
  return { first, last, events };
}

const ids = (a: { events: RecentEvent[] }) => a.events.map((e) => e.stream_pos);

describe('RecentMessages', () => {
  it('answers a person with their events in the unbroken run after the token', () => {
    const r = new RecentMessages();
    r.add(batch(1, 2, ['a', 'b']));
    r.add(batch(3, 3, ['a', 'c']));
    r.add(batch(4, 5, ['b']));
    expect(r.after(0, 'b')).to.deep.include({ head: 5, beyond: false });
    expect(ids(r.after(0, 'b'))).to.deep.equal([1, 2, 4, 5]);
    expect(ids(r.after(2, 'a'))).to.deep.equal([3]);
    expect(ids(r.after(3, 'c'))).to.deep.equal([]);
    expect(r.after(5, 'a')).to.deep.include({ head: 5, beyond: false });
  });

  it('stops at a position it never heard of and says there is more beyond', () => {
    const r = new RecentMessages();
    r.add(batch(1, 1, ['a']));
    // Position 2 went to another kind of write.
    r.add(batch(3, 4, ['a']));
    expect(r.after(0, 'a')).to.deep.include({ head: 1, beyond: true });
    expect(ids(r.after(0, 'a'))).to.deep.equal([1]);
    expect(r.after(1, 'a')).to.deep.include({ head: 1, beyond: true, events: [] });
    // From a token past the gap (a database answer), the run after it is known.
    expect(r.after(2, 'a')).to.deep.include({ head: 4, beyond: false });
    expect(ids(r.after(2, 'a'))).to.deep.equal([3, 4]);
  });

  it('joins the runs around a batch heard late, and keeps each person\'s events in stream order', () => {
    const r = new RecentMessages();
    r.add(batch(1, 2, ['a']));
    r.add(batch(5, 6, ['a']));
    r.add(batch(3, 4, ['a']));
    expect(r.after(0, 'a')).to.deep.include({ head: 6, beyond: false });
    expect(ids(r.after(0, 'a'))).to.deep.equal([1, 2, 3, 4, 5, 6]);
    expect(ids(r.after(3, 'a'))).to.deep.equal([4, 5, 6]);
  });

  it('ignores a batch heard twice', () => {
    const r = new RecentMessages();
    r.add(batch(1, 2, ['a']));
    r.add(batch(1, 2, ['a']));
    expect(ids(r.after(0, 'a'))).to.deep.equal([1, 2]);
  });

  it('forgets positions further back than it keeps; a token from before them cannot be answered', () => {
    const r = new RecentMessages(10);
    for (let p = 1; p <= 30; p += 2) r.add(batch(p, p + 1, ['a']));
    // Kept: positions above 30 - 10.
    expect(r.after(5, 'a')).to.deep.include({ head: 5, beyond: true, events: [] });
    expect(r.after(20, 'a')).to.deep.include({ head: 30, beyond: false });
    expect(ids(r.after(20, 'a'))).to.deep.equal([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    // A late batch from before what is kept is not taken in.
    r.add(batch(3, 4, ['b']));
    expect(r.after(2, 'b')).to.deep.include({ head: 2, events: [] });
  });

  it('a token ahead of everything heard has nothing after it', () => {
    const r = new RecentMessages();
    r.add(batch(1, 1, ['a']));
    expect(r.after(7, 'a')).to.deep.include({ head: 7, beyond: false, events: [] });
  });
});
