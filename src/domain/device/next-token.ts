import { BusinessError } from '../errors.js';

/**
 * QueryDevice's opaque `NextToken` (fleet-api §1.4): where the next page starts — after the last device
 * of the previous page in newest-first order — and that page's number. A keyset cursor, so devices
 * registered or deleted between calls make pages neither overlap nor skip. Bound to one product.
 */
export interface DevicePageToken {
  productId: string;
  createdAt: number;
  id: string;
  page: number;
}

export function encodePageToken(token: DevicePageToken): string {
  return Buffer.from(JSON.stringify([1, token.productId, token.createdAt, token.id, token.page]), 'utf8').toString('base64url');
}

/** fleet-api §5.3: an unreadable token, or one of another product, is iot.system.IllegalRequest (unconfirmed). */
export function decodePageToken(text: string, productId: string): DevicePageToken {
  const invalid = () => new BusinessError('iot.system.IllegalRequest', 'The NextToken is invalid.');
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  if (!Array.isArray(parsed) || parsed.length !== 5) throw invalid();
  const [version, tokenProductId, createdAt, id, page] = parsed as unknown[];
  if (version !== 1 || tokenProductId !== productId) throw invalid();
  if (!Number.isSafeInteger(createdAt) || typeof id !== 'string' || id === '') throw invalid();
  if (!Number.isSafeInteger(page) || (page as number) < 2) throw invalid();
  return { productId, createdAt: createdAt as number, id, page: page as number };
}
