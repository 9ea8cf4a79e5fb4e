import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The OSS PostObject policy (V1 signature) that GenerateOTAUploadURL hands out and the upload endpoint
 * checks (ota-api §2.1, §6.3). Pure functions: no storage, no HTTP.
 */

/** ota-api §2.1: exactly this JSON, nothing else in it (the shape of Alibaba's own sample). */
export function buildPolicy(input: { expiresAt: number; maxBytes: number; keyPrefix: string }): string {
  const document = {
    expiration: new Date(input.expiresAt).toISOString(),
    conditions: [
      ['content-length-range', 0, input.maxBytes],
      ['starts-with', '$key', input.keyPrefix],
    ],
  };
  return Buffer.from(JSON.stringify(document), 'utf8').toString('base64');
}

/** Base64(HMAC-SHA1(secret, policy as sent)) — the OSS V1 POST signature. */
export function signPolicy(secret: string, policy: string): string {
  return createHmac('sha1', secret).update(policy, 'utf8').digest('base64');
}

/** ota-api §6.3 step 4: constant-time comparison against the policy string exactly as received. */
export function policySignatureMatches(secret: string, policy: string, signature: string): boolean {
  const expected = Buffer.from(signPolicy(secret, policy), 'utf8');
  const given = Buffer.from(signature, 'utf8');
  return expected.length === given.length && timingSafeEqual(expected, given);
}

export type PolicyCondition =
  | { kind: 'length'; min: number; max: number }
  | { kind: 'starts-with'; field: string; prefix: string }
  | { kind: 'eq'; field: string; value: string }
  | { kind: 'unknown'; text: string };

export interface ParsedPolicy {
  expiresAt: number;
  conditions: PolicyCondition[];
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$/;

/** ota-api §6.3 step 5: Base64 JSON with `expiration` (ISO-8601 UTC) and `conditions`; undefined when unreadable. */
export function parsePolicy(policy: string): ParsedPolicy | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(policy)) return undefined;
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(policy, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof document !== 'object' || document === null) return undefined;
  const { expiration, conditions } = document as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string' || !ISO_UTC.test(expiration) || !Array.isArray(conditions)) return undefined;
  const expiresAt = Date.parse(expiration);
  if (Number.isNaN(expiresAt)) return undefined;
  return { expiresAt, conditions: conditions.map(readCondition) };
}

function readCondition(raw: unknown): PolicyCondition {
  const text = JSON.stringify(raw) ?? String(raw);
  // OSS's object form {"key": "value"} is an exact match.
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    const entries = Object.entries(raw);
    if (entries.length === 1 && typeof entries[0]![1] === 'string') {
      return { kind: 'eq', field: entries[0]![0].toLowerCase(), value: entries[0]![1] };
    }
    return { kind: 'unknown', text };
  }
  if (!Array.isArray(raw) || raw.length !== 3 || typeof raw[0] !== 'string') return { kind: 'unknown', text };
  const [op, a, b] = raw as [string, unknown, unknown];
  switch (op.toLowerCase()) {
    case 'content-length-range': {
      const min = Number(a);
      const max = Number(b);
      if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min < 0 || max < min) return { kind: 'unknown', text };
      return { kind: 'length', min, max };
    }
    case 'starts-with':
      if (typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string') return { kind: 'unknown', text };
      return { kind: 'starts-with', field: a.slice(1).toLowerCase(), prefix: b };
    case 'eq':
      if (typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string') return { kind: 'unknown', text };
      return { kind: 'eq', field: a.slice(1).toLowerCase(), value: b };
    default:
      return { kind: 'unknown', text };
  }
}

/** How a failed condition is quoted in OSS's message: `["starts-with", "$key", "ota/…/"]`. */
export function describeCondition(condition: PolicyCondition): string {
  switch (condition.kind) {
    case 'length':
      return `["content-length-range", ${condition.min}, ${condition.max}]`;
    case 'starts-with':
      return `["starts-with", "$${condition.field}", ${JSON.stringify(condition.prefix)}]`;
    case 'eq':
      return `["eq", "$${condition.field}", ${JSON.stringify(condition.value)}]`;
    case 'unknown':
      return condition.text;
  }
}
