// Attachments are encrypted in the browser before upload (the Matrix spec's
// EncryptedFile, v2: AES-256-CTR with a fresh key, SHA-256 of the ciphertext)
// and decrypted after download; the server only ever holds ciphertext.
import type { MatrixClient } from 'matrix-js-sdk';

export interface EncryptedFile {
  url: string;
  key: JsonWebKey;
  iv: string;
  hashes: { sha256: string };
  v: 'v2';
}

export interface AttachmentRef {
  name: string;
  mimetype: string;
  size: number;
  file: EncryptedFile;
}

const b64 = (bytes: ArrayBuffer | Uint8Array) => btoa(String.fromCharCode(...new Uint8Array(bytes))).replace(/=+$/, '');
const unb64 = (s: string) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));

export async function encryptAndUpload(client: MatrixClient, file: File, onProgress: (fraction: number) => void): Promise<AttachmentRef> {
  const plain = await file.arrayBuffer();
  const key = await crypto.subtle.generateKey({ name: 'AES-CTR', length: 256 }, true, ['encrypt', 'decrypt']);
  // A random 64-bit nonce and a zero 64-bit counter, as the spec asks.
  const iv = new Uint8Array(16);
  crypto.getRandomValues(iv.subarray(0, 8));
  const cipher = await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, key, plain);
  const hash = await crypto.subtle.digest('SHA-256', cipher);
  const jwk = await crypto.subtle.exportKey('jwk', key);
  const uploaded = await client.uploadContent(new Blob([cipher], { type: 'application/octet-stream' }), {
    type: 'application/octet-stream',
    includeFilename: false,
    progressHandler: ({ loaded, total }) => onProgress(total ? loaded / total : 0),
  });
  return {
    name: file.name,
    mimetype: file.type || 'application/octet-stream',
    size: file.size,
    file: { url: uploaded.content_uri, key: { kty: 'oct', key_ops: ['encrypt', 'decrypt'], alg: 'A256CTR', k: jwk.k, ext: true }, iv: b64(iv), hashes: { sha256: b64(hash) }, v: 'v2' },
  };
}

/** Downloads over authenticated media, checks the hash, decrypts: a Blob of the original file. */
export async function downloadAndDecrypt(client: MatrixClient, ref: AttachmentRef): Promise<Blob> {
  const url = client.mxcUrlToHttp(ref.file.url, undefined, undefined, undefined, false, true, true);
  if (!url) throw new Error('not a media address');
  const res = await fetch(url, { headers: { authorization: `Bearer ${client.getAccessToken()}` } });
  if (!res.ok) throw new Error(`download failed (${res.status})`);
  const cipher = await res.arrayBuffer();
  const hash = b64(await crypto.subtle.digest('SHA-256', cipher));
  if (hash !== ref.file.hashes.sha256.replace(/=+$/, '')) throw new Error('the file does not match its hash');
  const key = await crypto.subtle.importKey('jwk', ref.file.key, { name: 'AES-CTR' }, false, ['decrypt']);
  const plain = await crypto.subtle.decrypt({ name: 'AES-CTR', counter: unb64(ref.file.iv), length: 64 }, key, cipher);
  return new Blob([plain], { type: ref.mimetype });
}
