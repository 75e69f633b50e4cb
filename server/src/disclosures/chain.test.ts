import { expect } from 'chai';
import { sodium, toHex } from '../crypto/sodium.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import {
  checkpointPayload,
  entryHash,
  entryHashSync,
  GENESIS_HASH,
  signCheckpointSync,
  verifyChain,
  type ChainEntry,
  type Checkpoint,
} from './chain.ts';

async function buildChain(n: number, every: number) {
  const s = await sodium();
  const keys = s.crypto_sign_keypair();
  const entries: ChainEntry[] = [];
  const checkpoints: Checkpoint[] = [];
  let prev: Uint8Array = GENESIS_HASH;
  for (let seq = 1; seq <= n; seq++) {
    const at = new Date(Date.UTC(2026, 0, 1, 0, 0, seq));
    const entry = { type: 'client_access', actorId: `staff-${seq % 3}`, clientId: `client-${seq}`, purpose: 'käsittely', n: seq };
    const hash = entryHashSync(s, prev, seq, at, entry);
    entries.push({ seq, at, entry, prevHash: prev, hash });
    if (seq % every === 0) checkpoints.push(signCheckpointSync(s, keys.privateKey, { log: 'access', seq, hash, signedAt: at }));
    prev = hash;
  }
  return { s, keys, entries, checkpoints };
}

const clone = (e: ChainEntry): ChainEntry => ({ ...e, entry: structuredClone(e.entry) });

describe('audit hash chain (pure)', () => {
  // Pinned digests of entries as recordAccess and recordDisclosure write them
  // (free text, a dropped undefined `at`, nested objects and arrays): a change
  // to the encoding that would stop stored chains from verifying fails here.
  it('hashes the entries the logs write to the same digests as ever', async () => {
    const s = await sodium();
    const access = {
      type: 'client_access', eventId: 41, actorId: 'staff-7', actorOrganisationId: 'org-kela', clientId: 'client-3', action: 'client.read',
      purpose: 'Käsittely "kiireellinen"\n\u0001 \u2028 \u{1F600}',
    };
    const disclosure = {
      type: 'disclosure', disclosureId: '5b0c1d2e-0000-4000-8000-000000000001', at: undefined,
      discloser: { staffId: 'staff-7', organisationId: 'org-kela' },
      recipients: [{ staffId: 'staff-9', organisationId: 'org-hva' }, { organisationId: 'org-hva-2' }],
      clientId: 'client-3', categories: ['identity', 'contact'], basis: 'totul_18', consentId: undefined,
      conferenceId: '!room:rinki.test', routingRequestId: 'req-1', eventId: undefined,
    };
    expect(canonicalJson(access)).to.equal(
      '{"action":"client.read","actorId":"staff-7","actorOrganisationId":"org-kela","clientId":"client-3","eventId":41,"purpose":"Käsittely \\"kiireellinen\\"\\n\\u0001 \u2028 \u{1F600}","type":"client_access"}',
    );
    expect(canonicalJson(disclosure)).to.equal(
      '{"basis":"totul_18","categories":["identity","contact"],"clientId":"client-3","conferenceId":"!room:rinki.test","discloser":{"organisationId":"org-kela","staffId":"staff-7"},' +
        '"disclosureId":"5b0c1d2e-0000-4000-8000-000000000001","recipients":[{"organisationId":"org-hva","staffId":"staff-9"},{"organisationId":"org-hva-2"}],"routingRequestId":"req-1","type":"disclosure"}',
    );
    const first = entryHashSync(s, GENESIS_HASH, 1, new Date('2026-03-01T08:00:00.000Z'), access);
    const second = entryHashSync(s, first, 2, new Date('2026-03-01T08:00:01.250Z'), disclosure);
    expect(toHex(first)).to.equal('01fcbe9434ca287975b13d6100179900e6fe6797425196c52585c1204a7d83b8');
    expect(toHex(second)).to.equal('45ae39812958e26eb809432c8955410581baccb1ce3ade66742a42b54c052492');
    // entries stored as jsonb before migration 0019, and an export's entries, are parsed back and encoded again
    expect(toHex(entryHashSync(s, first, 2, '2026-03-01T08:00:01.250Z', JSON.parse(JSON.stringify(disclosure))))).to.equal(toHex(second));
    expect(new TextDecoder().decode(checkpointPayload({ log: 'disclosure', seq: 2, hash: second, signedAt: '2026-03-01T08:00:01.250Z' }))).to.equal(
      '{"hash":"45ae39812958e26eb809432c8955410581baccb1ce3ade66742a42b54c052492","log":"disclosure","seq":2,"signedAt":"2026-03-01T08:00:01.250Z"}',
    );
  });

  it('hashes BLAKE2b-256 over the previous hash and canonical {seq, at, entry}', async () => {
    const s = await sodium();
    const at = '2026-01-01T00:00:00.000Z';
    const entry = { b: 2, a: 1 };
    const expected = s.crypto_generichash(
      32,
      new Uint8Array([...GENESIS_HASH, ...new TextEncoder().encode('{"at":"2026-01-01T00:00:00.000Z","entry":{"a":1,"b":2},"seq":1}')]),
      null,
    );
    expect(Buffer.from(await entryHash(GENESIS_HASH, 1, at, entry)).equals(Buffer.from(expected))).to.equal(true);
    // key order and the time's spelling do not matter, content does
    expect(Buffer.from(await entryHash(GENESIS_HASH, 1, new Date(at), { a: 1, b: 2 })).equals(Buffer.from(expected))).to.equal(true);
    expect(Buffer.from(await entryHash(GENESIS_HASH, 1, at, { a: 1, b: 3 })).equals(Buffer.from(expected))).to.equal(false);
  });

  it('verifies an intact chain with its checkpoints', async () => {
    const { keys, entries, checkpoints } = await buildChain(25, 10);
    const r = await verifyChain(entries, checkpoints, keys.publicKey, { log: 'access' });
    expect(r).to.include({ ok: true, entries: 25, checkpoints: 2, lastSeq: 25, unsignedTail: 5 });
    expect(await verifyChain([], [], keys.publicKey)).to.include({ ok: true, entries: 0, lastSeq: 0 });
  });

  it('names the edited entry', async () => {
    const { keys, entries, checkpoints } = await buildChain(25, 10);
    const tampered = entries.map(clone);
    (tampered[6].entry as { purpose: string }).purpose = 'muu';
    const r = await verifyChain(tampered, checkpoints, keys.publicKey);
    expect(r).to.deep.equal({ ok: false, firstBad: { seq: 7, reason: "entry 7's content does not match its hash (edited)" } });
    const atEdited = entries.map(clone);
    atEdited[11].at = new Date(Date.UTC(2025, 0, 1));
    expect(await verifyChain(atEdited, checkpoints, keys.publicKey)).to.have.nested.property('firstBad.seq', 12);
  });

  it('names a deleted entry, also at the end of the chain under a checkpoint', async () => {
    const { keys, entries, checkpoints } = await buildChain(25, 10);
    const r = await verifyChain([...entries.slice(0, 4), ...entries.slice(5)], checkpoints, keys.publicKey);
    expect(r).to.have.nested.property('firstBad.seq', 5);
    expect((r as { firstBad: { reason: string } }).firstBad.reason).to.match(/entry 5 is missing/);
    // the tail cut back to before the last checkpoint
    const cut = await verifyChain(entries.slice(0, 17), checkpoints, keys.publicKey);
    expect(cut).to.have.nested.property('firstBad.seq', 18);
    // an unsigned tail can be cut unnoticed: that is what checkpoints bound
    expect(await verifyChain(entries.slice(0, 22), checkpoints, keys.publicKey)).to.include({ ok: true });
  });

  it('names an inserted entry, naive or with a correctly computed hash', async () => {
    const { s, keys, entries, checkpoints } = await buildChain(25, 10);
    const forgedEntry = { type: 'client_access', actorId: 'intruder', clientId: 'client-x', purpose: 'x', n: 0 };
    // renumbered, with a right hash: the next entry's prev_hash gives it away
    const hash = entryHashSync(s, entries[4].hash, 6, entries[5].at, forgedEntry);
    const renumbered = entries.slice(5).map((e) => ({ ...e, seq: e.seq + 1 }));
    const smart = [...entries.slice(0, 5), { seq: 6, at: entries[5].at, entry: forgedEntry, prevHash: entries[4].hash, hash }, ...renumbered];
    expect(await verifyChain(smart, checkpoints, keys.publicKey)).to.have.nested.property('firstBad.seq', 7);
    // an extra line with a duplicate seq
    const dup = [...entries.slice(0, 6), { ...entries[5], entry: forgedEntry }, ...entries.slice(6)];
    expect(await verifyChain(dup, checkpoints, keys.publicKey)).to.have.nested.property('firstBad.seq', 7);
  });

  it('names the first position of reordered entries', async () => {
    const { keys, entries, checkpoints } = await buildChain(25, 10);
    const swapped = [...entries];
    [swapped[2], swapped[3]] = [swapped[3], swapped[2]];
    const r = await verifyChain(swapped, checkpoints, keys.publicKey);
    expect(r).to.have.nested.property('firstBad.seq', 3);
    // swapped contents keeping the seq numbers break the hash
    const contents = entries.map(clone);
    [contents[2].entry, contents[3].entry] = [contents[3].entry, contents[2].entry];
    expect(await verifyChain(contents, checkpoints, keys.publicKey)).to.have.nested.property('firstBad.seq', 3);
  });

  it('detects a forged checkpoint, a checkpoint from another key, and a rewritten chain', async () => {
    const { s, keys, entries, checkpoints } = await buildChain(25, 10);
    const forged = checkpoints.map((c) => ({ ...c }));
    forged[1] = { ...forged[1], hash: entries[18].hash };
    const r = await verifyChain(entries, forged, keys.publicKey);
    expect(r).to.deep.equal({ ok: false, firstBad: { seq: 20, reason: 'checkpoint at seq 20 has a bad signature (forged or altered)' } });

    const other = s.crypto_sign_keypair();
    const foreign = [checkpoints[0], signCheckpointSync(s, other.privateKey, { log: 'access', seq: 20, hash: entries[19].hash, signedAt: new Date() })];
    expect(await verifyChain(entries, foreign, keys.publicKey)).to.have.nested.property('firstBad.seq', 20);

    // Everything from entry 15 rewritten with consistent hashes: the checkpoint at 20 disagrees.
    const rewritten = entries.map(clone);
    let prev = rewritten[13].hash;
    for (let i = 14; i < rewritten.length; i++) {
      if (i === 14) (rewritten[i].entry as { purpose: string }).purpose = 'rewritten';
      rewritten[i].prevHash = prev;
      rewritten[i].hash = entryHashSync(s, prev, rewritten[i].seq, rewritten[i].at, rewritten[i].entry);
      prev = rewritten[i].hash;
    }
    const rr = await verifyChain(rewritten, checkpoints, keys.publicKey);
    expect(rr).to.have.nested.property('firstBad.seq', 20);
    expect((rr as { firstBad: { reason: string } }).firstBad.reason).to.match(/signed checkpoint/);
  });

  it('refuses a checkpoint of another log', async () => {
    const { s, keys, entries } = await buildChain(10, 100);
    const cp = signCheckpointSync(s, keys.privateKey, { log: 'disclosure', seq: 10, hash: entries[9].hash, signedAt: new Date() });
    expect(await verifyChain(entries, [cp], keys.publicKey, { log: 'access' })).to.have.nested.property('firstBad.seq', 10);
  });
});
