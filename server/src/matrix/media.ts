// Authenticated media (spec v1.11): uploads arrive already encrypted by the
// client (the key travels inside the Megolm-encrypted event), so the server
// stores opaque bytes under DATA_DIR/media and cannot make thumbnails.
//
// Who may download: the uploader and anyone who currently shares a room with
// the uploader (joined or invited). The stricter "member of a room whose event
// references this mxc URI" cannot be checked: the URI sits inside ciphertext.
// Ids are 192 random bits, so they cannot be guessed either.
import fs from 'node:fs';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { IncomingMessage as Request, ServerResponse as Response } from 'node:http';
import type { Caller, MatrixContext } from './context.ts';
import { MatrixError, mxNotFound } from './errors.ts';
import { writeHead } from './http.ts';
import { sharingUsers } from './keys.ts';

const MEDIA_ID = /^[A-Za-z0-9_-]{16,64}$/;

export function mediaDir(ctx: MatrixContext): string {
  return path.join(ctx.deps.config.dataDir, 'media');
}

/** Files are spread over 256 folders by the id's first two characters. */
function mediaPath(ctx: MatrixContext, mediaId: string): string {
  return path.join(mediaDir(ctx), mediaId.slice(0, 2), mediaId);
}

function tooLarge(max: number): MatrixError {
  // The rest of the body is not read: the connection closes after the answer.
  return new MatrixError(413, 'M_TOO_LARGE', `Uploads may be at most ${max} bytes`, {}, { Connection: 'close' });
}

/** Streams the request body to a temporary file, then renames it into place and records it. */
export async function uploadMedia(ctx: MatrixContext, caller: Caller, req: Request, fileName: string | undefined): Promise<{ content_uri: string }> {
  const mediaId = randomBytes(24).toString('base64url');
  await storeUpload(ctx, caller, req, fileName, mediaId);
  return { content_uri: `mxc://${ctx.ids.serverName}/${mediaId}` };
}

/** An upload that claimed a reservation and never finished (a crash) releases it after this long. */
const UPLOAD_CLAIM_LAPSE_MS = 10 * 60_000;

/** How long a reserved mxc URI waits for its upload, and how many one person may hold. */
const PENDING_MS = 24 * 3_600_000;
const PENDING_MAX = 10;

/** POST /_matrix/media/v1/create: reserves an mxc URI for the caller to upload to later. */
export async function createMedia(ctx: MatrixContext, caller: Caller): Promise<{ content_uri: string; unused_expires_at: number }> {
  const now = ctx.deps.clock.now();
  const expiresAt = new Date(now.getTime() + PENDING_MS);
  const mediaId = randomBytes(24).toString('base64url');
  const created = await ctx.deps.db.tx(async (q) => {
    await q.query('DELETE FROM matrix_media_pending WHERE uploader_staff_id = $1 AND expires_at <= $2', [caller.staffId, now]);
    const [{ n }] = await q.query<{ n: number }>('SELECT count(*)::int AS n FROM matrix_media_pending WHERE uploader_staff_id = $1', [caller.staffId]);
    if (n >= PENDING_MAX) return false;
    await q.query('INSERT INTO matrix_media_pending (media_id, uploader_staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)', [mediaId, caller.staffId, now, expiresAt]);
    return true;
  });
  if (!created) throw new MatrixError(429, 'M_LIMIT_EXCEEDED', `At most ${PENDING_MAX} media ids may wait for their upload`, { retry_after_ms: 60_000 });
  return { content_uri: `mxc://${ctx.ids.serverName}/${mediaId}`, unused_expires_at: expiresAt.getTime() };
}

/** PUT /_matrix/media/v3/upload/{serverName}/{mediaId}: fills a reserved mxc URI, once. */
export async function uploadToCreated(ctx: MatrixContext, caller: Caller, req: Request, serverName: string, mediaId: string, fileName: string | undefined): Promise<Record<string, never>> {
  const refuse = (err: MatrixError) => {
    req.resume();
    return err;
  };
  if (serverName !== ctx.ids.serverName || !MEDIA_ID.test(mediaId)) throw refuse(mxNotFound('Unknown media id'));
  const now = ctx.deps.clock.now();
  // Claim the reservation: of two concurrent uploads, one gets it. The row stays (marked) until the
  // content is stored, so waiting downloads keep waiting; a claim left by a crashed upload lapses.
  const [claimed] = await ctx.deps.db.query<{ uploader_staff_id: string; expires_at: Date }>(
    `UPDATE matrix_media_pending SET uploading_since = $3
      WHERE media_id = $1 AND uploader_staff_id = $2 AND expires_at > $3 AND (uploading_since IS NULL OR uploading_since < $4)
      RETURNING uploader_staff_id, expires_at`,
    [mediaId, caller.staffId, now, new Date(now.getTime() - UPLOAD_CLAIM_LAPSE_MS)],
  );
  if (!claimed) {
    const [uploaded] = await ctx.deps.db.query<{ uploader_staff_id: string }>('SELECT uploader_staff_id FROM matrix_media WHERE media_id = $1', [mediaId]);
    if (uploaded?.uploader_staff_id === caller.staffId) throw refuse(new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media id already has its content'));
    const [pending] = await ctx.deps.db.query<{ uploader_staff_id: string; expires_at: Date }>('SELECT uploader_staff_id, expires_at FROM matrix_media_pending WHERE media_id = $1', [mediaId]);
    if (pending && pending.uploader_staff_id !== caller.staffId) throw refuse(new MatrixError(403, 'M_FORBIDDEN', 'This media id was created by someone else'));
    if (pending && pending.expires_at > now) throw refuse(new MatrixError(409, 'M_CANNOT_OVERWRITE_MEDIA', 'This media id is being uploaded'));
    throw refuse(mxNotFound('Unknown or expired media id'));
  }
  try {
    await storeUpload(ctx, caller, req, fileName, mediaId);
  } catch (err) {
    // A failed upload gives the reservation back, so the client may try again.
    await ctx.deps.db.query('UPDATE matrix_media_pending SET uploading_since = NULL WHERE media_id = $1', [mediaId]);
    throw err;
  }
  await ctx.deps.db.query('DELETE FROM matrix_media_pending WHERE media_id = $1', [mediaId]);
  return {};
}

async function storeUpload(ctx: MatrixContext, caller: Caller, req: Request, fileName: string | undefined, mediaId: string): Promise<void> {
  const max = ctx.deps.config.mediaMaxBytes;
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > max) {
    req.resume();
    throw tooLarge(max);
  }
  if (fileName !== undefined && fileName.length > 255) throw new MatrixError(400, 'M_INVALID_PARAM', 'filename is longer than 255 characters');
  const contentType = (req.headers['content-type'] ?? '').slice(0, 255) || null;

  const tmpDir = path.join(mediaDir(ctx), 'tmp');
  await fs.promises.mkdir(tmpDir, { recursive: true });
  const tmp = path.join(tmpDir, `${mediaId}.part`);
  const hash = createHash('sha256');
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length;
      if (size > max) return done(tooLarge(max));
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    const out = fs.createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
    // The request is piped by hand: a failing pipeline would destroy the socket before the 413 goes out.
    const written = pipeline(counter, out);
    req.on('close', () => {
      if (!req.complete) counter.destroy(new Error('upload aborted by the client'));
    });
    req.pipe(counter);
    await written;
    const fh = await fs.promises.open(tmp, 'r');
    await fh.sync().finally(() => fh.close());
    const final = mediaPath(ctx, mediaId);
    await fs.promises.mkdir(path.dirname(final), { recursive: true });
    await fs.promises.rename(tmp, final);
    try {
      await ctx.deps.db.query(
        `INSERT INTO matrix_media (media_id, uploader_staff_id, size_bytes, content_type, file_name, sha256) VALUES ($1, $2, $3, $4, $5, $6)`,
        [mediaId, caller.staffId, size, contentType, fileName ?? null, hash.digest('hex')],
      );
    } catch (err) {
      await fs.promises.rm(final, { force: true });
      throw err;
    }
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    req.unpipe(counter);
    req.resume();
    throw err;
  }
  ctx.deps.log.info({ mediaId, size, staffId: caller.staffId }, 'matrix media uploaded');
}

/** Thrown while a reserved id waits for its upload; the download route waits and retries. */
export class NotYetUploaded extends MatrixError {
  constructor() {
    super(504, 'M_NOT_YET_UPLOADED', 'The content of this media id has not been uploaded yet');
  }
}

interface MediaRow {
  media_id: string;
  uploader_staff_id: string;
  size_bytes: number;
  content_type: string | null;
  file_name: string | null;
}

async function visibleMedia(ctx: MatrixContext, caller: Caller, serverName: string, mediaId: string): Promise<MediaRow> {
  const missing = mxNotFound('Media not found');
  if (serverName !== ctx.ids.serverName || !MEDIA_ID.test(mediaId)) throw missing;
  const rows = await ctx.deps.db.query<MediaRow>(
    'SELECT media_id, uploader_staff_id, size_bytes, content_type, file_name FROM matrix_media WHERE media_id = $1',
    [mediaId],
  );
  const row = rows[0];
  if (!row) {
    // Reserved but not yet uploaded, and visible to the caller: the spec's 504 after waiting.
    const [pending] = await ctx.deps.db.query<{ uploader_staff_id: string }>('SELECT uploader_staff_id FROM matrix_media_pending WHERE media_id = $1 AND expires_at > $2', [
      mediaId,
      ctx.deps.clock.now(),
    ]);
    if (pending && (pending.uploader_staff_id === caller.staffId || (await sharingUsers(ctx.deps.db, caller.staffId)).has(pending.uploader_staff_id)))
      throw new NotYetUploaded();
    throw missing;
  }
  if (row.uploader_staff_id !== caller.staffId && !(await sharingUsers(ctx.deps.db, caller.staffId)).has(row.uploader_staff_id)) throw missing;
  return row;
}

const DEFAULT_UPLOAD_WAIT_MS = 20_000;
const MAX_UPLOAD_WAIT_MS = 60_000;

/** Waits up to timeoutMs (capped) for a reserved id's upload, checking twice a second. */
async function waitForUpload<T>(look: () => Promise<T>, timeoutMs: number): Promise<T> {
  const until = Date.now() + Math.min(Math.max(0, timeoutMs), MAX_UPLOAD_WAIT_MS);
  for (;;) {
    try {
      return await look();
    } catch (err) {
      if (!(err instanceof NotYetUploaded) || Date.now() >= until) throw err;
      await new Promise((r) => setTimeout(r, Math.min(500, Math.max(0, until - Date.now()))));
    }
  }
}

/** Sends the stored bytes with the headers the spec asks for (sandboxed, never rendered inline as HTML). */
export async function downloadMedia(
  ctx: MatrixContext,
  caller: Caller,
  res: Response,
  serverName: string,
  mediaId: string,
  fileName?: string,
  timeoutMs = DEFAULT_UPLOAD_WAIT_MS,
): Promise<void> {
  const row = await waitForUpload(() => visibleMedia(ctx, caller, serverName, mediaId), timeoutMs);
  let file: fs.promises.FileHandle;
  try {
    file = await fs.promises.open(mediaPath(ctx, mediaId), 'r');
  } catch {
    throw mxNotFound('Media not found');
  }
  const name = fileName ?? row.file_name;
  writeHead(res, 200, {
    'Content-Type': row.content_type ?? 'application/octet-stream',
    'Content-Length': String(row.size_bytes),
    'Content-Disposition': name ? `attachment; filename*=UTF-8''${encodeURIComponent(name)}` : 'attachment',
    'Content-Security-Policy': "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
    'Cross-Origin-Resource-Policy': 'cross-origin',
    'Cache-Control': 'private, max-age=31536000, immutable',
  });
  await pipeline(file.createReadStream(), res);
}

/** Encrypted attachments cannot be thumbnailed by the server; a missing or foreign id is equally not found. */
export async function thumbnail(ctx: MatrixContext, caller: Caller, serverName: string, mediaId: string): Promise<never> {
  await visibleMedia(ctx, caller, serverName, mediaId);
  throw mxNotFound('No thumbnail: media is end-to-end encrypted, the server cannot render it');
}
