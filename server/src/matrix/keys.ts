// Devices and end-to-end keys: device keys, one-time and fallback keys, key
// claims, to-device messages. The server holds public keys and ciphertext only.
// People see the keys of those they share a room with (and their own).
import { revokeDeviceTokens } from '../auth/tokens.ts';
import type { Queryable } from '../store/db.ts';
import { canonicalJson } from '../../../shared/src/canonical-json.ts';
import { type Caller, type MatrixContext, write } from './context.ts';
import { mxInvalidParam, mxNotFound } from './errors.ts';
import { lockStream, nextPos } from './stream.ts';
import { crossSigningKeys, extraSignatures, withSignatures } from './cross-signing.ts';

/** Everyone who shares a room with this person (joined or invited on either side), and the person. */
export async function sharingUsers(q: Queryable, staffId: string): Promise<Set<string>> {
  const rows = await q.query<{ staff_id: string }>(
    `SELECT DISTINCT o.staff_id FROM matrix_memberships me
       JOIN matrix_memberships o ON o.room_id = me.room_id
      WHERE me.staff_id = $1 AND me.membership IN ('join', 'invite') AND o.membership IN ('join', 'invite')`,
    [staffId],
  );
  return new Set([staffId, ...rows.map((r) => r.staff_id)]);
}

/** Marks a person's device list changed and wakes everyone who shares a room with them. */
export async function deviceListChanged(q: Queryable, staffId: string, wake: Set<string>): Promise<void> {
  const pos = await nextPos(q);
  await q.query('INSERT INTO matrix_device_list_changes (stream_pos, staff_id) VALUES ($1, $2)', [pos, staffId]);
  for (const s of await sharingUsers(q, staffId)) wake.add(s);
}

export async function ensureDevice(q: Queryable, staffId: string, deviceId: string, displayName?: string): Promise<void> {
  await q.query(
    `INSERT INTO matrix_devices (staff_id, device_id, display_name) VALUES ($1, $2, $3)
     ON CONFLICT (staff_id, device_id) DO UPDATE SET display_name = COALESCE(EXCLUDED.display_name, matrix_devices.display_name)`,
    [staffId, deviceId, displayName ?? null],
  );
}

/** Removes a device: its access tokens, keys, pending to-device messages; peers learn its keys are gone. */
export async function deleteDevice(ctx: MatrixContext, staffId: string, deviceId: string): Promise<boolean> {
  const deleted = await write(ctx, async (q, wake) => {
    await lockStream(q);
    await revokeDeviceTokens(q, staffId, deviceId);
    await q.query('DELETE FROM matrix_to_device WHERE staff_id = $1 AND device_id = $2', [staffId, deviceId]);
    await q.query('DELETE FROM matrix_txns WHERE staff_id = $1 AND device_id = $2', [staffId, deviceId]);
    await q.query('DELETE FROM matrix_key_signatures WHERE target_staff_id = $1 AND target_key_id = $2', [staffId, deviceId]);
    const gone = await q.query('DELETE FROM matrix_devices WHERE staff_id = $1 AND device_id = $2 RETURNING device_id', [staffId, deviceId]);
    if (gone.length) await deviceListChanged(q, staffId, wake);
    return gone.length > 0;
  });
  await ctx.tokens.revoked([staffId]);
  return deleted;
}

export async function oneTimeKeyCounts(q: Queryable, staffId: string, deviceId: string): Promise<Record<string, number>> {
  const rows = await q.query<{ algorithm: string; n: number }>(
    'SELECT algorithm, count(*)::int AS n FROM matrix_one_time_keys WHERE staff_id = $1 AND device_id = $2 GROUP BY algorithm',
    [staffId, deviceId],
  );
  return { signed_curve25519: 0, ...Object.fromEntries(rows.map((r) => [r.algorithm, Number(r.n)])) };
}

export async function unusedFallbackKeyTypes(q: Queryable, staffId: string, deviceId: string): Promise<string[]> {
  const rows = await q.query<{ algorithm: string }>(
    'SELECT algorithm FROM matrix_fallback_keys WHERE staff_id = $1 AND device_id = $2 AND NOT used ORDER BY algorithm',
    [staffId, deviceId],
  );
  return rows.map((r) => r.algorithm);
}

export interface KeysUpload {
  device_keys?: { user_id: string; device_id: string; algorithms: string[]; keys: Record<string, string>; signatures: Record<string, unknown> };
  one_time_keys?: Record<string, unknown>;
  fallback_keys?: Record<string, unknown>;
}

function splitKeyId(keyId: string): [string, string] {
  const i = keyId.indexOf(':');
  if (i < 1 || i === keyId.length - 1) throw mxInvalidParam(`Key id ${JSON.stringify(keyId)} is not <algorithm>:<key id>`);
  return [keyId.slice(0, i), keyId.slice(i + 1)];
}

export async function uploadKeys(ctx: MatrixContext, caller: Caller, body: KeysUpload): Promise<{ one_time_key_counts: Record<string, number> }> {
  const dk = body.device_keys;
  if (dk && (dk.user_id !== caller.userId || dk.device_id !== caller.deviceId))
    throw mxInvalidParam('device_keys must be for the calling user and device');
  const otks = Object.entries(body.one_time_keys ?? {}).map(([id, key]) => [...splitKeyId(id), key] as const);
  const fallbacks = Object.entries(body.fallback_keys ?? {}).map(([id, key]) => [...splitKeyId(id), key] as const);
  return write(ctx, async (q, wake) => {
    await lockStream(q);
    await ensureDevice(q, caller.staffId, caller.deviceId);
    if (dk) {
      const old = await q.query<{ device_keys: unknown }>('SELECT device_keys FROM matrix_devices WHERE staff_id = $1 AND device_id = $2', [
        caller.staffId,
        caller.deviceId,
      ]);
      if (canonicalJson(old[0]?.device_keys ?? null) !== canonicalJson(dk)) {
        await q.query('UPDATE matrix_devices SET device_keys = $3::jsonb WHERE staff_id = $1 AND device_id = $2', [
          caller.staffId,
          caller.deviceId,
          JSON.stringify(dk),
        ]);
        await deviceListChanged(q, caller.staffId, wake);
      }
    }
    for (const [algorithm, keyId, key] of otks) {
      await q.query(
        `INSERT INTO matrix_one_time_keys (staff_id, device_id, algorithm, key_id, key_json) VALUES ($1, $2, $3, $4, $5::jsonb)
         ON CONFLICT DO NOTHING`,
        [caller.staffId, caller.deviceId, algorithm, keyId, JSON.stringify(key)],
      );
    }
    for (const [algorithm, keyId, key] of fallbacks) {
      await q.query(
        `INSERT INTO matrix_fallback_keys (staff_id, device_id, algorithm, key_id, key_json, used) VALUES ($1, $2, $3, $4, $5::jsonb, false)
         ON CONFLICT (staff_id, device_id, algorithm) DO UPDATE SET key_id = EXCLUDED.key_id, key_json = EXCLUDED.key_json, used = false
         WHERE matrix_fallback_keys.key_id <> EXCLUDED.key_id`,
        [caller.staffId, caller.deviceId, algorithm, keyId, JSON.stringify(key)],
      );
    }
    // New key counts: the device's next /sync must read them, not repeat the counts it was last told.
    if (otks.length || fallbacks.length) wake.add(caller.staffId);
    return { one_time_key_counts: await oneTimeKeyCounts(q, caller.staffId, caller.deviceId) };
  });
}

export async function queryKeys(ctx: MatrixContext, caller: Caller, wanted: Record<string, string[]>) {
  const q = ctx.deps.db;
  const visible = await sharingUsers(q, caller.staffId);
  const deviceKeys: Record<string, Record<string, unknown>> = {};
  const masterKeys: Record<string, unknown> = {};
  const selfSigningKeys: Record<string, unknown> = {};
  const userSigningKeys: Record<string, unknown> = {};
  for (const [userId, devices] of Object.entries(wanted)) {
    const staffId = ctx.ids.staffId(userId);
    deviceKeys[userId] = {};
    // Users one shares no room with look like users without devices.
    if (!staffId || !visible.has(staffId)) continue;
    const rows = await q.query<{ device_id: string; display_name: string | null; device_keys: Record<string, unknown> }>(
      `SELECT device_id, display_name, device_keys FROM matrix_devices
        WHERE staff_id = $1 AND device_keys IS NOT NULL AND (cardinality($2::text[]) = 0 OR device_id = ANY($2::text[]))`,
      [staffId, devices],
    );
    // Signatures by the owner (self-signing a device) and by the asker (user-signing someone's master key).
    const extra = await extraSignatures(q, staffId, userId, caller.userId);
    for (const r of rows)
      deviceKeys[userId][r.device_id] = {
        ...withSignatures(r.device_keys, extra.get(r.device_id)),
        unsigned: r.display_name ? { device_display_name: r.display_name } : {},
      };
    const cross = await crossSigningKeys(q, staffId);
    const master = cross.get('master');
    if (master) masterKeys[userId] = withSignatures(master.key_json, extra.get(master.public_key));
    const selfSigning = cross.get('self_signing');
    if (selfSigning) selfSigningKeys[userId] = selfSigning.key_json;
    // The user-signing key is shown to its owner only.
    const userSigning = cross.get('user_signing');
    if (userSigning && staffId === caller.staffId) userSigningKeys[userId] = userSigning.key_json;
  }
  return { device_keys: deviceKeys, failures: {}, master_keys: masterKeys, self_signing_keys: selfSigningKeys, user_signing_keys: userSigningKeys };
}

/** Each one-time key goes to exactly one claimer, however many claim at once; then the fallback key. */
export async function claimKeys(ctx: MatrixContext, caller: Caller, wanted: Record<string, Record<string, string>>) {
  const q = ctx.deps.db;
  const visible = await sharingUsers(q, caller.staffId);
  const out: Record<string, Record<string, Record<string, unknown>>> = {};
  const owners = new Set<string>();
  for (const [userId, devices] of Object.entries(wanted)) {
    const staffId = ctx.ids.staffId(userId);
    if (!staffId || !visible.has(staffId)) continue;
    for (const [deviceId, algorithm] of Object.entries(devices)) {
      const claimed = await q.query<{ key_id: string; key_json: unknown }>(
        `DELETE FROM matrix_one_time_keys k
          USING (SELECT staff_id, device_id, algorithm, key_id FROM matrix_one_time_keys
                  WHERE staff_id = $1 AND device_id = $2 AND algorithm = $3
                  ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED) c
          WHERE k.staff_id = c.staff_id AND k.device_id = c.device_id AND k.algorithm = c.algorithm AND k.key_id = c.key_id
          RETURNING k.key_id, k.key_json`,
        [staffId, deviceId, algorithm],
      );
      let key = claimed[0];
      if (!key) {
        const fb = await q.query<{ key_id: string; key_json: unknown }>(
          `UPDATE matrix_fallback_keys SET used = true WHERE staff_id = $1 AND device_id = $2 AND algorithm = $3
           RETURNING key_id, key_json`,
          [staffId, deviceId, algorithm],
        );
        key = fb[0];
      }
      if (key) {
        ((out[userId] ??= {})[deviceId] ??= {})[`${algorithm}:${key.key_id}`] = key.key_json;
        owners.add(staffId);
      }
    }
  }
  // Fewer keys left: the owners' next /sync must read the counts again.
  await ctx.notifier.wake(owners).catch((err: unknown) => ctx.deps.log.warn({ err }, 'matrix wake-up not published'));
  return { one_time_keys: out, failures: {} };
}

/** Users whose device lists changed between two stream positions, among those sharing a room now. */
export async function keyChanges(ctx: MatrixContext, caller: Caller, from: number, to: number) {
  const q = ctx.deps.db;
  const visible = await sharingUsers(q, caller.staffId);
  const rows = await q.query<{ staff_id: string }>(
    'SELECT DISTINCT staff_id FROM matrix_device_list_changes WHERE stream_pos > $1 AND stream_pos <= $2 AND staff_id = ANY($3::text[])',
    [from, to, [...visible]],
  );
  return { changed: rows.map((r) => ctx.ids.userId(r.staff_id)), left: [] as string[] };
}

/** Queues to-device messages once per (device, txnId); '*' means every device of that user. */
export async function sendToDevice(
  ctx: MatrixContext,
  caller: Caller,
  type: string,
  txnId: string,
  messages: Record<string, Record<string, Record<string, unknown>>>,
): Promise<void> {
  await write(ctx, async (q, wake) => {
    await lockStream(q);
    const fresh = await q.query(
      `INSERT INTO matrix_txns (staff_id, device_id, kind, txn_id) VALUES ($1, $2, 'to_device', $3)
       ON CONFLICT DO NOTHING RETURNING txn_id`,
      [caller.staffId, caller.deviceId, txnId],
    );
    if (!fresh.length) return;
    const visible = await sharingUsers(q, caller.staffId);
    const pos = await nextPos(q);
    for (const [userId, byDevice] of Object.entries(messages)) {
      const staffId = ctx.ids.staffId(userId);
      if (!staffId || !visible.has(staffId)) continue;
      const devices = (await q.query<{ device_id: string }>('SELECT device_id FROM matrix_devices WHERE staff_id = $1', [staffId])).map((r) => r.device_id);
      for (const [deviceId, content] of Object.entries(byDevice)) {
        const targets = deviceId === '*' ? devices : devices.filter((d) => d === deviceId);
        for (const target of targets) {
          await q.query(
            `INSERT INTO matrix_to_device (stream_pos, staff_id, device_id, sender, type, content) VALUES ($1, $2, $3, $4, $5, $6::jsonb)`,
            [pos, staffId, target, caller.userId, type, JSON.stringify(content)],
          );
          wake.add(staffId);
        }
      }
    }
  });
}

export interface DeviceInfo {
  device_id: string;
  display_name?: string;
  last_seen_ts?: number;
}

export async function listDevices(q: Queryable, staffId: string, deviceId?: string): Promise<DeviceInfo[]> {
  const rows = await q.query<{ device_id: string; display_name: string | null; last_seen_at: Date | null }>(
    `SELECT device_id, display_name, last_seen_at FROM matrix_devices WHERE staff_id = $1 AND ($2::text IS NULL OR device_id = $2) ORDER BY created_at, device_id`,
    [staffId, deviceId ?? null],
  );
  return rows.map((r) => ({
    device_id: r.device_id,
    ...(r.display_name ? { display_name: r.display_name } : {}),
    ...(r.last_seen_at ? { last_seen_ts: new Date(r.last_seen_at).getTime() } : {}),
  }));
}

export async function renameDevice(q: Queryable, staffId: string, deviceId: string, displayName: string | undefined): Promise<void> {
  const rows = await q.query(
    'UPDATE matrix_devices SET display_name = COALESCE($3, display_name) WHERE staff_id = $1 AND device_id = $2 RETURNING device_id',
    [staffId, deviceId, displayName ?? null],
  );
  if (!rows.length) throw mxNotFound('No such device');
}
