import { timingSafeEqual } from 'node:crypto';
import type { AccountService } from '../../domain/account/account-service.js';
import type { Clock } from '../../domain/clock.js';
import { gatewayErrors } from './gateway-error.js';
import type { Pair } from './request-params.js';
import { rpcSignature, rpcStringToSign } from './signature-rpc.js';
import { parseV3Authorization, sha256Hex, V3_ALGORITHM, v3CanonicalRequest, v3Signature } from './signature-v3.js';

export interface SignedRequest {
  readonly method: string;
  readonly query: readonly Pair[];
  /** Query and form parameters merged (body wins). */
  readonly params: ReadonlyMap<string, string>;
  readonly rawBody: Buffer;
  /** Every value received for a header (lower-case name). */
  readonly headerValues: (name: string) => readonly string[];
  /** Lower-case names of every header received. */
  readonly headerNames: readonly string[];
}

export interface AuthenticatedCaller {
  readonly accessKeyId: string;
  readonly accountId: string;
}

export interface AuthenticateDeps {
  readonly accounts: Pick<AccountService, 'resolveKey'>;
  readonly clock: Clock;
  readonly timestampWindowMs: number;
  /** Records the nonce; false when it was seen before within its retention. */
  readonly recordNonce: (accessKeyId: string, nonce: string) => Promise<boolean>;
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
// Nonces are 32 hex characters from every official client; a longer value is not worth storing.
const MAX_NONCE_LENGTH = 128;
// rpc-protocol §7 step 5: headers that must be signed whenever a V3 request is signed.
const REQUIRED_V3_HEADERS = ['host', 'x-acs-action', 'x-acs-version', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-content-sha256'];

/**
 * rpc-protocol §10 steps 2–7, in that order: scheme detection, common parameters, timestamp window, key
 * look-up, signature (and payload hash), nonce. The nonce is recorded only after the signature verifies,
 * so unsigned garbage cannot burn nonces.
 */
export async function authenticate(req: SignedRequest, deps: AuthenticateDeps): Promise<AuthenticatedCaller> {
  const authorization = req.headerValues('authorization')[0];
  if (authorization !== undefined && /^ACS3-/i.test(authorization.trimStart())) return authenticateV3(req, authorization.trim(), deps);
  if (req.params.has('Signature')) return authenticateRpc(req, deps);
  // errors.md §2: an Authorization header that is not a V3 one is a malformed signature, not a missing one.
  if (authorization !== undefined && authorization.trim() !== '') throw gatewayErrors.incompleteSignature();
  throw gatewayErrors.missing('Signature');
}

async function authenticateRpc(req: SignedRequest, deps: AuthenticateDeps): Promise<AuthenticatedCaller> {
  const p = req.params;
  for (const name of ['AccessKeyId', 'SignatureMethod', 'SignatureNonce', 'Timestamp'] as const) {
    if (!p.get(name)) throw gatewayErrors.missing(name);
  }
  if (p.get('SignatureMethod') !== 'HMAC-SHA1') throw gatewayErrors.signatureMethod();
  // rpc-protocol §4.1: other SignatureVersion values get InvalidParameter (unconfirmed code).
  if (p.has('SignatureVersion') && p.get('SignatureVersion') !== '1.0') throw gatewayErrors.invalidParameter('SignatureVersion');
  if (p.has('SecurityToken')) throw gatewayErrors.securityToken();
  const nonce = p.get('SignatureNonce')!;
  if (nonce.length > MAX_NONCE_LENGTH) throw gatewayErrors.invalidParameter('SignatureNonce');
  checkTimestamp(p.get('Timestamp')!, deps);
  const key = await lookUpKey(p.get('AccessKeyId')!, deps);
  const expected = rpcSignature(rpcStringToSign(req.method, p), key.secret);
  if (!constantTimeEqual(expected, p.get('Signature')!)) throw gatewayErrors.signatureMismatch();
  await recordNonceOnce(key.accessKeyId, nonce, deps);
  return { accessKeyId: key.accessKeyId, accountId: key.accountId };
}

async function authenticateV3(req: SignedRequest, authorization: string, deps: AuthenticateDeps): Promise<AuthenticatedCaller> {
  const auth = parseV3Authorization(authorization);
  if (auth === undefined) throw gatewayErrors.incompleteSignature();
  // errors.md §2: an algorithm other than ACS3-HMAC-SHA256 (ACS3-HMAC-SM3, ACS3-RSA-SHA256) is not supported.
  if (auth.algorithm !== V3_ALGORITHM) throw gatewayErrors.signatureMethod();
  const header = (name: string) => req.headerValues(name)[0];
  const signed = auth.signedHeaders;
  if (signed.some((name) => name !== name.toLowerCase() || name === '')) throw gatewayErrors.incompleteSignature();
  const present = new Set(signed);
  const mustSign = [...REQUIRED_V3_HEADERS];
  if (header('content-type') !== undefined) mustSign.push('content-type');
  // V3DOC: every x-acs-* header present must be signed, so none can be added in transit.
  for (const name of req.headerNames) if (name.startsWith('x-acs-')) mustSign.push(name);
  if (mustSign.some((name) => !present.has(name))) throw gatewayErrors.incompleteSignature();
  if (signed.some((name) => req.headerValues(name).length === 0)) throw gatewayErrors.incompleteSignature();
  if (header('x-acs-security-token') !== undefined) throw gatewayErrors.securityToken();

  const nonce = header('x-acs-signature-nonce')!;
  if (nonce.trim() === '') throw gatewayErrors.missing('SignatureNonce');
  if (nonce.length > MAX_NONCE_LENGTH) throw gatewayErrors.invalidParameter('SignatureNonce');
  checkTimestamp(header('x-acs-date')!.trim(), deps);
  const key = await lookUpKey(auth.credential, deps);

  const payloadHash = sha256Hex(req.rawBody);
  // rpc-protocol §7 step 2: the declared hash must be the hash of the bytes received (unconfirmed code).
  if (!constantTimeEqual(payloadHash, header('x-acs-content-sha256')!.trim().toLowerCase())) throw gatewayErrors.signatureMismatch();
  const canonical = v3CanonicalRequest({
    method: req.method,
    query: req.query,
    signedHeaders: signed,
    headerValues: req.headerValues,
    payloadHash,
  });
  if (!constantTimeEqual(v3Signature(canonical, key.secret), auth.signature.toLowerCase())) throw gatewayErrors.signatureMismatch();
  await recordNonceOnce(key.accessKeyId, nonce, deps);
  return { accessKeyId: key.accessKeyId, accountId: key.accountId };
}

/** rpc-protocol §4.3: `YYYY-MM-DDThh:mm:ssZ` only, within the window both ways. */
function checkTimestamp(value: string, deps: AuthenticateDeps): void {
  const m = TIMESTAMP.exec(value);
  if (m === null) throw gatewayErrors.timestampFormat();
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const at = Date.UTC(y!, mo! - 1, d!, h!, mi!, s!);
  const back = new Date(at);
  if (back.getUTCMonth() !== mo! - 1 || back.getUTCDate() !== d! || h! > 23 || mi! > 59 || s! > 59) {
    throw gatewayErrors.timestampFormat();
  }
  if (Math.abs(deps.clock.now() - at) > deps.timestampWindowMs) throw gatewayErrors.timestampExpired();
}

async function lookUpKey(accessKeyId: string, deps: AuthenticateDeps) {
  const key = await deps.accounts.resolveKey(accessKeyId);
  if (key === undefined) throw gatewayErrors.keyNotFound();
  if (!key.active) throw gatewayErrors.keyInactive();
  return key;
}

async function recordNonceOnce(accessKeyId: string, nonce: string, deps: AuthenticateDeps): Promise<void> {
  if (!(await deps.recordNonce(accessKeyId, nonce))) throw gatewayErrors.nonceUsed();
}

function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}
