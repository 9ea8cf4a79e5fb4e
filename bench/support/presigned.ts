import { writeFileSync } from 'node:fs';
import { signV3, type SigningKey } from '../../test/support/sign.js';

/**
 * Pre-signed V3 requests for a load generator (shared/BENCHMARKS.md: a pool, each nonce used once; signing
 * every request in JavaScript during the run would cap the load near 15k req/s). Every request of a pool
 * is the same GET and date; only the nonce and the signature differ.
 */
export interface PresignedPool {
  /** `/?…` with the operation parameters, as the SDK puts them in the query. */
  readonly path: string;
  /** Signed and unsigned headers common to every request (host included). */
  readonly headers: readonly (readonly [string, string])[];
  /** `ACS3-HMAC-SHA256 Credential=…,SignedHeaders=…,Signature=`: the signature is appended per request. */
  readonly authorizationPrefix: string;
  readonly entries: readonly { readonly nonce: string; readonly signature: string }[];
}

export function presign(opts: { key: SigningKey; host: string; action: string; query: Record<string, string>; count: number }): PresignedPool {
  const now = Date.now();
  const entries: { nonce: string; signature: string }[] = [];
  let template: ReturnType<typeof signV3> | undefined;
  for (let i = 0; i < opts.count; i++) {
    const req = signV3({ key: opts.key, action: opts.action, host: opts.host, method: 'GET', query: opts.query, now });
    template ??= req;
    const auth = req.headers.authorization!;
    entries.push({ nonce: req.headers['x-acs-signature-nonce']!, signature: auth.slice(auth.lastIndexOf('=') + 1) });
  }
  if (template === undefined) throw new Error('an empty pool');
  const auth = template.headers.authorization!;
  const headers = Object.entries(template.headers).filter(([name]) => name !== 'authorization' && name !== 'x-acs-signature-nonce');
  return { path: `${template.path}?${template.rawQuery}`, headers, authorizationPrefix: auth.slice(0, auth.lastIndexOf('=') + 1), entries };
}

/** One `nonce signature` line per request, for the wrk script. */
export function writePoolFile(file: string, pool: PresignedPool): void {
  writeFileSync(file, pool.entries.map((e) => `${e.nonce} ${e.signature}`).join('\n') + '\n');
}
