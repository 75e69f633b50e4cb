// Cross-signing: a person's master, self-signing and user-signing public keys
// (keys/device_signing/upload) and signatures made with them or with device
// keys (keys/signatures/upload). Every signature is checked (Ed25519 over the
// spec's canonical JSON) before it is stored, so a client never receives a
// forged one from this server.
import { createPublicKey, verify } from 'node:crypto';
import type { Queryable } from '../store/db.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { type Caller, type MatrixContext, write } from './context.ts';
import { MatrixError, mxInvalidParam } from './errors.ts';
import { deviceListChanged } from './keys.ts';
import { lockStream, nextPos } from './stream.ts';

export type CrossSigningType = 'master' | 'self_signing' | 'user_signing';

export interface CrossSigningKey {
  user_id: string;
  usage: string[];
  keys: Record<string, string>;
  signatures?: Record<string, Record<string, string>>;
  [k: string]: unknown;
}

type Signed = { signatures?: Record<string, Record<string, string>>; unsigned?: unknown; [k: string]: unknown };

/** Verifies one Ed25519 signature over the object without its signatures and unsigned parts. */
export function verifySignature(obj: Signed, userId: string, keyId: string, publicKeyB64: string): boolean {
  const sig = obj.signatures?.[userId]?.[keyId];
  if (typeof sig !== 'string') return false;
  try {
    const { signatures: _s, unsigned: _u, ...rest } = obj;
    const raw = Buffer.from(publicKeyB64, 'base64');
    if (raw.length !== 32) return false;
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: raw.toString('base64url') }, format: 'jwk' });
    return verify(null, Buffer.from(canonicalJson(rest), 'utf8'), key, Buffer.from(sig, 'base64'));
  } catch {
    return false;
  }
}

/** The one "ed25519:<public key>" entry of a cross-signing key. */
function publicKeyOf(key: CrossSigningKey, what: string): string {
  const entries = Object.entries(key.keys ?? {});
  if (entries.length !== 1) throw mxInvalidParam(`${what} must hold exactly one key`);
  const [id, pub] = entries[0];
  if (id !== `ed25519:${pub}` || Buffer.from(pub, 'base64').length !== 32) throw mxInvalidParam(`${what} must be an ed25519 key named ed25519:<public key>`);
  return pub;
}

export async function crossSigningKeys(q: Queryable, staffId: string): Promise<Map<CrossSigningType, { public_key: string; key_json: CrossSigningKey }>> {
  const rows = await q.query<{ key_type: CrossSigningType; public_key: string; key_json: CrossSigningKey }>(
    'SELECT key_type, public_key, key_json FROM matrix_cross_signing_keys WHERE staff_id = $1',
    [staffId],
  );
  return new Map(rows.map((r) => [r.key_type, { public_key: r.public_key, key_json: r.key_json }]));
}

export interface DeviceSigningUpload {
  master_key?: CrossSigningKey;
  self_signing_key?: CrossSigningKey;
  user_signing_key?: CrossSigningKey;
}

/**
 * Stores new cross-signing keys. `authorise` runs user-interactive auth; it is
 * asked for only when keys would replace different ones (the first upload, or
 * a repeat of the same keys, needs none — spec v1.11, MSC3967).
 */
export async function uploadDeviceSigning(ctx: MatrixContext, caller: Caller, body: DeviceSigningUpload, authorise: () => Promise<void>): Promise<void> {
  const given: [CrossSigningType, CrossSigningKey][] = [];
  if (body.master_key) given.push(['master', body.master_key]);
  if (body.self_signing_key) given.push(['self_signing', body.self_signing_key]);
  if (body.user_signing_key) given.push(['user_signing', body.user_signing_key]);
  if (!given.length) throw new MatrixError(400, 'M_MISSING_PARAM', 'No cross-signing keys given');
  const pubs = new Map<CrossSigningType, string>();
  for (const [type, key] of given) {
    if (key.user_id !== caller.userId) throw mxInvalidParam(`${type}_key must belong to the calling user`);
    if (!Array.isArray(key.usage) || !key.usage.includes(type)) throw mxInvalidParam(`${type}_key must have usage ${type}`);
    pubs.set(type, publicKeyOf(key, `${type}_key`));
  }

  const existing = await crossSigningKeys(ctx.deps.db, caller.staffId);
  const replaces = given.some(([type, key]) => existing.has(type) && canonicalJson(existing.get(type)!.key_json) !== canonicalJson(key));
  if (replaces) await authorise();

  const masterPub = pubs.get('master') ?? existing.get('master')?.public_key;
  for (const [type, key] of given) {
    if (type === 'master') continue;
    if (!masterPub) throw mxInvalidParam('Upload a master key first');
    if (!verifySignature(key, caller.userId, `ed25519:${masterPub}`, masterPub))
      throw new MatrixError(400, 'M_INVALID_SIGNATURE', `${type}_key is not signed by the master key`);
  }

  await write(ctx, async (q, wake) => {
    await lockStream(q);
    const pos = await nextPos(q);
    for (const [type, key] of given)
      await q.query(
        `INSERT INTO matrix_cross_signing_keys (staff_id, key_type, public_key, key_json, stream_pos) VALUES ($1, $2, $3, $4::jsonb, $5)
         ON CONFLICT (staff_id, key_type) DO UPDATE SET public_key = EXCLUDED.public_key, key_json = EXCLUDED.key_json, stream_pos = EXCLUDED.stream_pos`,
        [caller.staffId, type, pubs.get(type), JSON.stringify(key), pos],
      );
    await deviceListChanged(q, caller.staffId, wake);
  });
}

type Failures = Record<string, Record<string, { errcode: string; error: string }>>;

/**
 * Stores the caller's signatures on their own devices and master key, and on
 * other people's master keys (made with the caller's user-signing key).
 */
export async function uploadSignatures(ctx: MatrixContext, caller: Caller, body: Record<string, Record<string, Signed>>): Promise<{ failures: Failures }> {
  const q = ctx.deps.db;
  const failures: Failures = {};
  const fail = (userId: string, keyId: string, errcode: string, error: string) => ((failures[userId] ??= {})[keyId] = { errcode, error });
  const mine = await crossSigningKeys(q, caller.staffId);
  const myDevices = new Map(
    (await q.query<{ device_id: string; device_keys: Signed | null }>('SELECT device_id, device_keys FROM matrix_devices WHERE staff_id = $1', [caller.staffId])).map(
      (r) => [r.device_id, r.device_keys],
    ),
  );
  /** The public key behind one of the caller's key ids, if it is theirs. */
  const signerKey = (keyId: string): string | undefined => {
    const name = keyId.startsWith('ed25519:') ? keyId.slice(8) : undefined;
    if (!name) return undefined;
    for (const k of mine.values()) if (k.public_key === name) return name;
    const dev = myDevices.get(name);
    return dev ? (dev as { keys?: Record<string, string> }).keys?.[keyId] : undefined;
  };

  const accepted: { target: string; keyId: string; signerKeyId: string; signature: string }[] = [];
  for (const [userId, byKey] of Object.entries(body)) {
    const staffId = ctx.ids.staffId(userId);
    for (const [keyId, signed] of Object.entries(byKey)) {
      if (!staffId) {
        fail(userId, keyId, 'M_NOT_FOUND', 'Unknown user');
        continue;
      }
      // The object signed must be the one stored (a device's keys or a cross-signing key).
      let stored: Signed | null | undefined;
      if (staffId === caller.staffId && myDevices.has(keyId)) stored = myDevices.get(keyId);
      else {
        const theirs = staffId === caller.staffId ? mine : await crossSigningKeys(q, staffId);
        const master = theirs.get('master');
        // Others' keys: only their master key, and only if one shares a room with them.
        if (master?.public_key === keyId && (staffId === caller.staffId || (await sharesRoom(q, caller.staffId, staffId)))) stored = master.key_json;
        else if (staffId === caller.staffId) for (const k of mine.values()) if (k.public_key === keyId) stored = k.key_json;
      }
      if (!stored) {
        fail(userId, keyId, 'M_NOT_FOUND', 'No such key');
        continue;
      }
      const { signatures: _a, unsigned: _b, ...storedBody } = stored;
      const { signatures: _c, unsigned: _d, ...signedBody } = signed;
      if (canonicalJson(storedBody) !== canonicalJson(signedBody)) {
        fail(userId, keyId, 'M_INVALID_SIGNATURE', 'The signed object differs from the stored key');
        continue;
      }
      const sigs = signed.signatures?.[caller.userId] ?? {};
      for (const [signerKeyId, signature] of Object.entries(sigs)) {
        if (stored.signatures?.[caller.userId]?.[signerKeyId] === signature) continue;
        const pub = signerKey(signerKeyId);
        // Another person's key may only be signed with the user-signing key.
        if (!pub || (staffId !== caller.staffId && pub !== mine.get('user_signing')?.public_key) || !verifySignature(signed, caller.userId, signerKeyId, pub)) {
          fail(userId, keyId, 'M_INVALID_SIGNATURE', `Signature ${signerKeyId} does not verify`);
          continue;
        }
        accepted.push({ target: staffId, keyId, signerKeyId, signature });
      }
    }
  }
  if (accepted.length)
    await write(ctx, async (tq, wake) => {
      await lockStream(tq);
      const changed = new Set<string>();
      for (const a of accepted) {
        await tq.query(
          `INSERT INTO matrix_key_signatures (target_staff_id, target_key_id, signer_user_id, signer_key_id, signature) VALUES ($1, $2, $3, $4, $5)
           ON CONFLICT (target_staff_id, target_key_id, signer_user_id, signer_key_id) DO UPDATE SET signature = EXCLUDED.signature`,
          [a.target, a.keyId, caller.userId, a.signerKeyId, a.signature],
        );
        // Signing oneself changes one's own keys for everyone; signing another person is news to oneself only.
        changed.add(caller.staffId);
      }
      for (const s of changed) await deviceListChanged(tq, s, wake);
    });
  return { failures };
}

async function sharesRoom(q: Queryable, a: string, b: string): Promise<boolean> {
  const rows = await q.query(
    `SELECT 1 FROM matrix_memberships x JOIN matrix_memberships y ON y.room_id = x.room_id
      WHERE x.staff_id = $1 AND y.staff_id = $2 AND x.membership IN ('join', 'invite') AND y.membership IN ('join', 'invite') LIMIT 1`,
    [a, b],
  );
  return rows.length > 0;
}

/** Stored extra signatures on one person's keys that `viewer` may see: the owner's own, and the viewer's. */
export async function extraSignatures(q: Queryable, targetStaffId: string, ownerUserId: string, viewerUserId: string) {
  const rows = await q.query<{ target_key_id: string; signer_user_id: string; signer_key_id: string; signature: string }>(
    `SELECT target_key_id, signer_user_id, signer_key_id, signature FROM matrix_key_signatures
      WHERE target_staff_id = $1 AND signer_user_id IN ($2, $3)`,
    [targetStaffId, ownerUserId, viewerUserId],
  );
  const byKey = new Map<string, Record<string, Record<string, string>>>();
  for (const r of rows) {
    let sigs = byKey.get(r.target_key_id);
    if (!sigs) byKey.set(r.target_key_id, (sigs = {}));
    (sigs[r.signer_user_id] ??= {})[r.signer_key_id] = r.signature;
  }
  return byKey;
}

/** Merges extra signatures into a signed object (a copy). */
export function withSignatures<T extends Signed>(obj: T, extra: Record<string, Record<string, string>> | undefined): T {
  if (!extra) return obj;
  const signatures: Record<string, Record<string, string>> = { ...(obj.signatures ?? {}) };
  for (const [user, sigs] of Object.entries(extra)) signatures[user] = { ...(signatures[user] ?? {}), ...sigs };
  return { ...obj, signatures };
}
