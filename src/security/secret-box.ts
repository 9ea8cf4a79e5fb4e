import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Encrypts secrets that must be recoverable (device, product and API key secrets: fleet-api §2.2 says the
 * API hands them out in clear, and HMAC checks need them) with AES-256-GCM before they reach the database.
 */
export interface SecretBox {
  seal(plain: string): string;
  open(sealed: string): string;
  /** Opens without keeping the result: for callers that keep what they need themselves (sign-in-directory.ts). */
  openUncached(sealed: string): string;
}

const VERSION = 'v1';
// Secrets are opened on every signed request and device look-up; AES-GCM set-up costs tens of µs each
// (bench/RESULTS.md). Every sealing has its own IV, so a sealed string names one secret for good and the
// opened value can be kept. Bounded: cleared whole when full.
const MAX_OPENED = 50_000;

export function createSecretBox(key: Buffer): SecretBox {
  if (key.length !== 32) throw new Error('the master key must be 32 bytes');
  const opened = new Map<string, string>();
  return {
    seal(plain) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
      return [VERSION, iv.toString('base64'), cipher.getAuthTag().toString('base64'), body.toString('base64')].join(':');
    },
    open(sealed) {
      const known = opened.get(sealed);
      if (known !== undefined) return known;
      const plain = decrypt(key, sealed);
      if (opened.size >= MAX_OPENED) opened.clear();
      opened.set(sealed, plain);
      return plain;
    },
    openUncached: (sealed) => decrypt(key, sealed),
  };
}

function decrypt(key: Buffer, sealed: string): string {
  const [version, iv, tag, body] = sealed.split(':');
  if (version !== VERSION || iv === undefined || tag === undefined || body === undefined) {
    throw new Error('unreadable sealed secret');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64'));
  decipher.setAuthTag(Buffer.from(tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64')), decipher.final()]).toString('utf8');
}

/**
 * The master key: FLOTILLA_MASTER_KEY when set, else DATA_DIR/master.key, created (mode 0600) on first use.
 * The key is written whole to a private file and then hard-linked into place: link() fails if the name
 * exists, so two processes racing to create it agree on one key, and neither can read a half-written file.
 */
export function loadMasterKey(dataDir: string, configuredHex: string | undefined): Buffer {
  if (configuredHex !== undefined) return Buffer.from(configuredHex, 'hex');
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'master.key');
  if (!existsSync(path)) {
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, randomBytes(32).toString('hex') + '\n', { flag: 'wx', mode: 0o600 });
    try {
      linkSync(draft, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      unlinkSync(draft);
    }
  }
  chmodSync(path, 0o600);
  const hex = readFileSync(path, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(hex)) throw new Error(`${path} does not hold a 64-hex-character key`);
  return Buffer.from(hex, 'hex');
}
