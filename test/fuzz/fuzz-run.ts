import type http from 'node:http';
import { signRequest } from '../support/fuzz-sign.js';
import type { SigningKey } from '../support/sign.js';
import { type Envelope, checkEnvelope, surfaceOf } from './envelope-check.js';
import { bodyBytes, type MutatedCase, mutate, type RawCase, requestBytes } from './fuzz-garbage.js';
import { sendHttp, sendRaw, StaleSocketError, type WireResponse } from './fuzz-http.js';
import type { SignedCase } from './fuzz-signed.js';

export type FuzzCase = SignedCase | MutatedCase | RawCase;

export interface FuzzTarget {
  readonly port: number;
  /** Host header value the signatures cover (`127.0.0.1:PORT`). */
  readonly host: string;
  readonly key: SigningKey;
  readonly agent: http.Agent;
}

/** Tallies for the report and for the coverage assertions. */
export class FuzzStats {
  requests = 0;
  readonly byKind = new Map<string, number>();
  readonly byCode = new Map<string, number>();
  /** Actions whose handler ran at least once (success or business failure). */
  readonly reached = new Map<string, number>();

  count(kind: string, env: Envelope | undefined): void {
    this.requests++;
    this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    const code = env === undefined ? 'HEAD' : (env.code ?? env.kind);
    this.byCode.set(code, (this.byCode.get(code) ?? 0) + 1);
  }
}

// Answers a correctly signed request must never get: they would mean the fuzzer never got past the door.
const AUTH_FAILURES = /^(SignatureDoesNotMatch|IncompleteSignature|SignatureNonceUsed|InvalidTimeStamp\.|InvalidAccessKeyId\.|MissingSignature|InvalidSignatureMethod)/;
// Failures decided before the signature is checked, so no nonce is recorded and no signature verdict exists.
const BEFORE_AUTH = new Set(['InvalidParameter.Format', 'MissingAction', 'MissingVersion', 'UnsupportedHTTPMethod']);

/** Sends one case and checks its answer(s); throws with the request spelled out when anything is wrong. */
export async function exercise(target: FuzzTarget, c: FuzzCase, stats: FuzzStats): Promise<void> {
  try {
    if (c.kind === 'signed') await exerciseSigned(target, c, stats);
    else if (c.kind === 'mutated') await exerciseMutated(target, c, stats);
    else await exerciseRaw(target, c, stats);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n  request: ${describe(c)}`);
  }
}

async function exerciseSigned(target: FuzzTarget, c: SignedCase, stats: FuzzStats): Promise<void> {
  let req = signRequest(c, target.key, target.host);
  let res: WireResponse;
  try {
    res = await sendHttp(target.agent, target.port, req);
  } catch (err) {
    if (!(err instanceof StaleSocketError)) throw err;
    // Signed afresh: a nonce must never be sent twice.
    req = signRequest(c, target.key, target.host);
    res = await sendHttp(target.agent, target.port, req);
  }
  const env = checkEnvelope(res, req.method);
  stats.count('signed', env);
  if (env?.kind === 'gateway' && AUTH_FAILURES.test(env.code ?? '')) throw new Error(`a correctly signed request was refused: ${env.code}`);
  if (env !== undefined && env.kind !== 'gateway') stats.reached.set(c.action, (stats.reached.get(c.action) ?? 0) + 1);
}

async function exerciseMutated(target: FuzzTarget, c: MutatedCase, stats: FuzzStats): Promise<void> {
  const m = c.mutation;
  const key = m.type === 'wrong-secret' ? { ...target.key, accessKeySecret: `${target.key.accessKeySecret}x` } : target.key;
  const at = m.type === 'stale' ? Date.now() + m.minutes * 60_000 : Date.now();
  const signed = signRequest(c.base, key, target.host, at);
  const broken = mutate(signed, m);
  const bytes = requestBytes({ ...broken });
  const surface = surfaceOf(broken.method, broken.target, broken.headers);
  const first = await rawEnvelope(target, bytes, broken.method, stats, 'mutated', surface);
  // 431: headers over the limit never reach the RPC layer at all.
  const decided = surface === 'rpc' && first !== undefined && first.status !== 431 && !(first.kind === 'gateway' && BEFORE_AUTH.has(first.code ?? ''));
  const expect = (code: string, got: Envelope | undefined) => {
    if (decided && got?.code !== code) throw new Error(`expected ${code}, got ${got?.code ?? got?.kind}`);
  };
  if (m.type === 'replay') expect('SignatureNonceUsed', await rawEnvelope(target, bytes, broken.method, stats, 'mutated', surface));
  if (m.type === 'stale') expect('InvalidTimeStamp.Expired', first);
  if (m.type === 'wrong-secret') expect('SignatureDoesNotMatch', first);
}

async function exerciseRaw(target: FuzzTarget, c: RawCase, stats: FuzzStats): Promise<void> {
  const bytes = requestBytes({
    method: c.method,
    target: c.target,
    headers: c.headers,
    body: bodyBytes(c.body),
    hostHeader: c.hostHeader ? target.host : undefined,
    chunked: c.chunked,
  });
  await rawEnvelope(target, bytes, c.method, stats, 'raw', surfaceOf(c.method, c.target, c.headers));
}

async function rawEnvelope(
  target: FuzzTarget,
  bytes: Buffer,
  method: string,
  stats: FuzzStats,
  kind: string,
  surface: ReturnType<typeof surfaceOf>,
): Promise<Envelope | undefined> {
  const res: WireResponse | undefined = await sendRaw(target.port, bytes);
  if (res === undefined) throw new Error('the server closed the connection without answering');
  const env = checkEnvelope(res, method, surface);
  stats.count(kind, env);
  return env;
}

/** The case as JSON, long strings shortened, so a failure report stays readable and reproducible by hand. */
export function describe(c: FuzzCase): string {
  return JSON.stringify(c, (_k, v: unknown) => {
    if (typeof v === 'string' && v.length > 200) return `${v.slice(0, 200)}…(${v.length} chars)`;
    if (v instanceof Uint8Array) return `bytes:${Buffer.from(v).toString('hex').slice(0, 400)}`;
    return v;
  });
}
