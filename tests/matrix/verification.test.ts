// Cross-signing and emoji (SAS) verification between two matrix-js-sdk
// clients through Rinki, and the device_signing / signatures endpoints' rules
// over raw HTTP.
import { generateKeyPairSync, sign } from 'node:crypto';
import { expect } from 'chai';
import type { MatrixClient } from 'matrix-js-sdk';
import {
  CryptoEvent,
  VerificationPhase,
  VerifierEvent,
  type ShowSasCallbacks,
  type VerificationRequest,
  type Verifier,
} from 'matrix-js-sdk/lib/crypto-api/index.js';
import { canonicalJson } from '../../shared/src/canonical-json.ts';
import { STORE_KINDS, startTestRinki, type TestRinki } from '../helpers/env.ts';
import {
  MX_PASSWORD,
  MX_PEOPLE,
  createConference,
  eventually,
  joinWhenInvited,
  loginClient,
  mx,
  passwordLogin,
  requireNode22,
  seedMatrixPeople,
  stopAll,
  type Session,
} from '../helpers/matrix.ts';

const C = '/_matrix/client/v3';

async function bootstrap(client: MatrixClient, username: string): Promise<void> {
  await client.getCrypto()!.bootstrapCrossSigning({
    authUploadDeviceSigningKeys: async (makeRequest) => {
      await makeRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: username }, password: MX_PASSWORD } as never);
    },
  });
}

/** Both sides' emoji, once each verifier shows them; each side confirms. */
function confirmSas(verifier: Verifier): Promise<string[]> {
  return new Promise((resolve) => {
    const onSas = (sas: ShowSasCallbacks) => {
      void sas.confirm();
      resolve((sas.sas.emoji ?? []).map(([emoji, name]) => `${emoji} ${name}`));
    };
    const shown = verifier.getShowSasCallbacks();
    if (shown) onSas(shown);
    else verifier.once(VerifierEvent.ShowSas, onSas);
  });
}

describe('Matrix: cross-signing and emoji verification with matrix-js-sdk', function () {
  this.timeout(120_000);
  let rinki: TestRinki;
  const clients: MatrixClient[] = [];

  before(async () => {
    requireNode22();
    rinki = await startTestRinki({ store: 'pglite' });
    await seedMatrixPeople(rinki.deps.db);
  });
  after(async () => {
    stopAll(...clients);
    await rinki?.cleanup();
  });

  it('A and B bootstrap cross-signing, verify each other with SAS emoji, and A then trusts B\'s device', async () => {
    const a = await loginClient(rinki.url, 'anna');
    const b = await loginClient(rinki.url, 'antti');
    clients.push(a, b);
    const roomId = await createConference(a, [b.getUserId()!]);
    await joinWhenInvited(b, roomId, [a]);

    await bootstrap(a, 'anna');
    await bootstrap(b, 'antti');
    expect(await a.getCrypto()!.isCrossSigningReady()).to.equal(true);
    expect(await b.getCrypto()!.isCrossSigningReady()).to.equal(true);
    const stored = await rinki.deps.db.query<{ key_type: string }>('SELECT key_type FROM matrix_cross_signing_keys ORDER BY key_type');
    expect(stored.map((r) => r.key_type)).to.deep.equal(['master', 'master', 'self_signing', 'self_signing', 'user_signing', 'user_signing']);

    // A sees B's cross-signing identity (and B's device signed by it) through keys/query.
    await eventually('A to see B\'s master key', async () => (await a.getCrypto()!.getUserVerificationStatus(b.getUserId()!)).isCrossSigningVerified() === false || undefined);
    const before = await a.getCrypto()!.getDeviceVerificationStatus(b.getUserId()!, b.getDeviceId()!);
    expect(before?.isVerified()).to.equal(false);

    const bRequest = new Promise<VerificationRequest>((resolve) => b.on(CryptoEvent.VerificationRequestReceived, resolve));
    const aRequest = await a.getCrypto()!.requestDeviceVerification(b.getUserId()!, b.getDeviceId()!);
    const bReq = await bRequest;
    await bReq.accept();
    await eventually('A to see the request ready', () => aRequest.phase === VerificationPhase.Ready || undefined);

    const aVerifier = await aRequest.startVerification('m.sas.v1');
    const bVerifier = await eventually('B\'s verifier', () => bReq.verifier);
    const aEmoji = confirmSas(aVerifier);
    const bEmoji = confirmSas(bVerifier);
    const [, , aSaw, bSaw] = await Promise.all([aVerifier.verify(), bVerifier.verify(), aEmoji, bEmoji]);
    expect(aSaw).to.have.length(7);
    expect(aSaw).to.deep.equal(bSaw);
    await eventually('both requests done', () => (aRequest.phase === VerificationPhase.Done && bReq.phase === VerificationPhase.Done) || undefined);

    const after = await a.getCrypto()!.getDeviceVerificationStatus(b.getUserId()!, b.getDeviceId()!);
    expect(after?.isVerified()).to.equal(true);
    // A's user-signing key signed B's master key, and the server kept that signature for A.
    await eventually('A to cross-sign B', async () => (await a.getCrypto()!.getUserVerificationStatus(b.getUserId()!)).isCrossSigningVerified() || undefined);
    const sigs = await rinki.deps.db.query('SELECT 1 FROM matrix_key_signatures WHERE signer_user_id = $1 AND target_staff_id = $2', [
      a.getUserId(),
      MX_PEOPLE.antti,
    ]);
    expect(sigs).to.have.length(1);
  });
});

type Key = { user_id: string; usage: string[]; keys: Record<string, string>; signatures?: Record<string, Record<string, string>> };

/** A fresh Ed25519 cross-signing key of `usage` for `userId`, optionally signed by `signer`. */
function makeKey(userId: string, usage: string, signer?: { key: ReturnType<typeof generateKeyPairSync>['privateKey']; pub: string }) {
  const pair = generateKeyPairSync('ed25519');
  const pub = Buffer.from(pair.publicKey.export({ format: 'jwk' }).x!, 'base64url').toString('base64').replace(/=+$/, '');
  const key: Key = { user_id: userId, usage: [usage], keys: { [`ed25519:${pub}`]: pub } };
  if (signer) key.signatures = { [userId]: { [`ed25519:${signer.pub}`]: sign(null, Buffer.from(canonicalJson(key)), signer.key).toString('base64').replace(/=+$/, '') } };
  return { key, pub, priv: pair.privateKey };
}

for (const store of STORE_KINDS)
describe(`Matrix cross-signing endpoints (${store})`, function () {
  this.timeout(60_000);
  let rinki: TestRinki;
  let anna: Session;
  let bertta: Session;
  const call = (method: string, path: string, s?: Session, body?: unknown) => mx(rinki.url, method, path, s?.access_token, body);
  const count = async () => (await rinki.deps.db.query<{ n: number }>('SELECT count(*)::int AS n FROM matrix_cross_signing_keys'))[0].n;

  before(async () => {
    rinki = await startTestRinki({ store });
    await seedMatrixPeople(rinki.deps.db);
    anna = await passwordLogin(rinki.url, 'anna');
    bertta = await passwordLogin(rinki.url, 'bertta');
  });
  after(async () => rinki?.cleanup());

  it('takes the first upload without extra auth, and asks for the password before replacing keys', async () => {
    const master = makeKey(anna.user_id, 'master');
    const selfSigning = makeKey(anna.user_id, 'self_signing', { key: master.priv, pub: master.pub });
    const first = await call('POST', `${C}/keys/device_signing/upload`, anna, { master_key: master.key, self_signing_key: selfSigning.key });
    expect(first.status).to.equal(200);
    expect(await count()).to.equal(2);
    // The same keys again need no auth either.
    expect((await call('POST', `${C}/keys/device_signing/upload`, anna, { master_key: master.key })).status).to.equal(200);

    const master2 = makeKey(anna.user_id, 'master');
    const challenge = await call('POST', `${C}/keys/device_signing/upload`, anna, { master_key: master2.key });
    expect(challenge.status).to.equal(401);
    expect(challenge.body.flows).to.deep.equal([{ stages: ['m.login.password'] }]);
    const wrong = await call('POST', `${C}/keys/device_signing/upload`, anna, {
      master_key: master2.key,
      auth: { type: 'm.login.password', session: challenge.body.session, identifier: { type: 'm.id.user', user: 'anna' }, password: 'wrong' },
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.body.errcode).to.equal('M_FORBIDDEN');
    const keys = await call('POST', `${C}/keys/query`, anna, { device_keys: { [anna.user_id]: [] } });
    expect(keys.body.master_keys).to.deep.equal({ [anna.user_id]: master.key });

    const ok = await call('POST', `${C}/keys/device_signing/upload`, anna, {
      master_key: master2.key,
      auth: { type: 'm.login.password', session: challenge.body.session, identifier: { type: 'm.id.user', user: 'anna' }, password: MX_PASSWORD },
    });
    expect(ok.status).to.equal(200);
    const after = await call('POST', `${C}/keys/query`, anna, { device_keys: { [anna.user_id]: [] } });
    expect(after.body.master_keys).to.deep.equal({ [anna.user_id]: master2.key });
  });

  it('refuses keys of another user, wrong usage, or a sub-key not signed by the master key, writing nothing', async () => {
    const n = await count();
    const foreign = makeKey(bertta.user_id, 'master');
    const r1 = await call('POST', `${C}/keys/device_signing/upload`, anna, { master_key: foreign.key });
    expect(r1.status).to.equal(400);
    expect(r1.body.errcode).to.equal('M_INVALID_PARAM');
    const r2 = await call('POST', `${C}/keys/device_signing/upload`, bertta, { master_key: makeKey(bertta.user_id, 'self_signing').key });
    expect(r2.status).to.equal(400);
    const master = makeKey(bertta.user_id, 'master');
    const unsigned = makeKey(bertta.user_id, 'self_signing');
    const r3 = await call('POST', `${C}/keys/device_signing/upload`, bertta, { master_key: master.key, self_signing_key: unsigned.key });
    expect(r3.status).to.equal(400);
    expect(r3.body.errcode).to.equal('M_INVALID_SIGNATURE');
    const r4 = await call('POST', `${C}/keys/device_signing/upload`, bertta, 'not json');
    expect(r4.body.errcode).to.equal('M_NOT_JSON');
    expect(await count()).to.equal(n);
  });

  it('shows cross-signing keys only to people sharing a room, and the user-signing key only to its owner', async () => {
    const master = makeKey(bertta.user_id, 'master');
    const userSigning = makeKey(bertta.user_id, 'user_signing', { key: master.priv, pub: master.pub });
    expect((await call('POST', `${C}/keys/device_signing/upload`, bertta, { master_key: master.key, user_signing_key: userSigning.key })).status).to.equal(200);
    const own = await call('POST', `${C}/keys/query`, bertta, { device_keys: { [bertta.user_id]: [] } });
    expect(own.body.user_signing_keys).to.have.property(bertta.user_id);
    const stranger = await call('POST', `${C}/keys/query`, anna, { device_keys: { [bertta.user_id]: [] } });
    expect(stranger.body.master_keys).to.deep.equal({});
    expect(stranger.body.user_signing_keys).to.deep.equal({});
  });

  it('refuses a signature that does not verify and stores nothing', async () => {
    const keys = await call('POST', `${C}/keys/query`, anna, { device_keys: { [anna.user_id]: [] } });
    const master = (keys.body.master_keys as Record<string, Key>)[anna.user_id];
    const pub = Object.values(master.keys)[0];
    const forged = { ...master, signatures: { [anna.user_id]: { [`ed25519:${anna.device_id}`]: 'AAAA' } } };
    const r = await call('POST', `${C}/keys/signatures/upload`, anna, { [anna.user_id]: { [pub]: forged } });
    expect(r.status).to.equal(200);
    expect((r.body.failures as Record<string, Record<string, { errcode: string }>>)[anna.user_id][pub].errcode).to.equal('M_INVALID_SIGNATURE');
    const rows = await rinki.deps.db.query('SELECT 1 FROM matrix_key_signatures');
    expect(rows).to.have.length(0);
  });
});
