// Key material: from the environment when set (several nodes must share it),
// otherwise generated on first start and kept in DATA_DIR/keys.json (mode 0600).
import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.ts';
import { sodium } from './sodium.ts';

export interface Keys {
  /** BLAKE2b key for client identifiers (henkilötunnus). */
  clientIdKey: Uint8Array;
  /** Ed25519 key pair that signs log checkpoints. */
  auditSigning: { publicKey: Uint8Array; secretKey: Uint8Array };
  /** HMAC key for CSRF tokens. */
  cookieSecret: Uint8Array;
}

interface KeyFile {
  clientIdKey: string;
  auditSigningKey: string;
  cookieSecret: string;
}

export async function loadKeys(config: Pick<Config, 'dataDir' | 'keys'>): Promise<Keys> {
  const s = await sodium();
  const file = path.join(config.dataDir, 'keys.json');
  let stored: KeyFile | undefined;
  const fromEnv = config.keys;
  if (!fromEnv.clientIdKey || !fromEnv.auditSigningKey || !fromEnv.cookieSecret) {
    stored = readOrCreateKeyFile(file, () => ({
      clientIdKey: Buffer.from(s.randombytes_buf(32)).toString('base64'),
      auditSigningKey: Buffer.from(s.crypto_sign_keypair().privateKey).toString('base64'),
      cookieSecret: Buffer.from(s.randombytes_buf(32)).toString('base64'),
    }));
  }
  const b = (v: string | undefined, fallback: string | undefined) => new Uint8Array(Buffer.from((v ?? fallback)!, 'base64'));
  const secretKey = b(fromEnv.auditSigningKey, stored?.auditSigningKey);
  return {
    clientIdKey: b(fromEnv.clientIdKey, stored?.clientIdKey),
    auditSigning: { secretKey, publicKey: s.crypto_sign_ed25519_sk_to_pk(secretKey) },
    cookieSecret: b(fromEnv.cookieSecret, stored?.cookieSecret),
  };
}

function readOrCreateKeyFile(file: string, make: () => KeyFile): KeyFile {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  // Write aside, then link into place: link fails if another node sharing
  // DATA_DIR won the race, and nobody ever reads a half-written file.
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(make(), null, 2), { mode: 0o600 });
  try {
    fs.linkSync(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    fs.unlinkSync(tmp);
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as KeyFile;
}
