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
import type { Request, Response } from 'express';
import type { Caller, MatrixContext } from './context.ts';
import { MatrixError, mxNotFound } from './errors.ts';
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
  const max = ctx.deps.config.mediaMaxBytes;
  const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > max) {
    req.resume();
    throw tooLarge(max);
  }
  if (fileName !== undefined && fileName.length > 255) throw new MatrixError(400, 'M_INVALID_PARAM', 'filename is longer than 255 characters');
  const contentType = (req.headers['content-type'] ?? '').slice(0, 255) || null;

  const mediaId = randomBytes(24).toString('base64url');
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
  return { content_uri: `mxc://${ctx.ids.serverName}/${mediaId}` };
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
  if (!row) throw missing;
  if (row.uploader_staff_id !== caller.staffId && !(await sharingUsers(ctx.deps.db, caller.staffId)).has(row.uploader_staff_id)) throw missing;
  return row;
}

/** Sends the stored bytes with the headers the spec asks for (sandboxed, never rendered inline as HTML). */
export async function downloadMedia(ctx: MatrixContext, caller: Caller, res: Response, serverName: string, mediaId: string, fileName?: string): Promise<void> {
  const row = await visibleMedia(ctx, caller, serverName, mediaId);
  let file: fs.promises.FileHandle;
  try {
    file = await fs.promises.open(mediaPath(ctx, mediaId), 'r');
  } catch {
    throw mxNotFound('Media not found');
  }
  const name = fileName ?? row.file_name;
  res.status(200);
  res.setHeader('Content-Type', row.content_type ?? 'application/octet-stream');
  res.setHeader('Content-Length', String(row.size_bytes));
  res.setHeader('Content-Disposition', name ? `attachment; filename*=UTF-8''${encodeURIComponent(name)}` : 'attachment');
  res.setHeader('Content-Security-Policy', "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';");
  res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
  res.setHeader('Cache-Control', 'private, max-age=31536000, immutable');
  await pipeline(file.createReadStream(), res);
}

/** Encrypted attachments cannot be thumbnailed by the server; a missing or foreign id is equally not found. */
export async function thumbnail(ctx: MatrixContext, caller: Caller, serverName: string, mediaId: string): Promise<never> {
  await visibleMedia(ctx, caller, serverName, mediaId);
  throw mxNotFound('No thumbnail: media is end-to-end encrypted, the server cannot render it');
}
