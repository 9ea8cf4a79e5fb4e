import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../domain/clock.js';

/**
 * Signed, expiring HTTPS download URLs for package files (ota-api §2.3, device-protocol §4.8), shaped like
 * OSS's: `{base}/ota/download/{fileId}?Expires={unix s}&OSSAccessKeyId={id}&Signature={sig}`. The signature
 * binds the file id and the expiry; it is HMAC-SHA256 under a key derived from the master key.
 */
export interface DownloadUrlSigner {
  /** A URL for one file, valid for the configured lifetime from now. */
  sign(fileId: string): string;
  /** Checks the query of a request for `fileId`; never says which part was wrong. */
  verify(fileId: string, query: { Expires?: string; Signature?: string }): 'ok' | 'denied';
}

export const DOWNLOAD_PATH_PREFIX = '/ota/download/';

export function createDownloadUrlSigner(deps: {
  secret: Buffer;
  keyId: string;
  baseUrl: () => string;
  clock: Clock;
  ttlMs: number;
}): DownloadUrlSigner {
  const mac = (fileId: string, expires: string) =>
    createHmac('sha256', deps.secret).update(`GET\n${fileId}\n${expires}`).digest('base64url');

  return {
    sign(fileId) {
      const expires = String(Math.floor((deps.clock.now() + deps.ttlMs) / 1000));
      const query = new URLSearchParams({ Expires: expires, OSSAccessKeyId: deps.keyId, Signature: mac(fileId, expires) });
      return `${deps.baseUrl()}${DOWNLOAD_PATH_PREFIX}${encodeURIComponent(fileId)}?${query.toString()}`;
    },
    verify(fileId, query) {
      const { Expires: expires, Signature: signature } = query;
      if (expires === undefined || signature === undefined || !/^\d{1,12}$/.test(expires)) return 'denied';
      const expected = Buffer.from(mac(fileId, expires));
      const given = Buffer.from(signature);
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'denied';
      return Number(expires) * 1000 >= deps.clock.now() ? 'ok' : 'denied';
    },
  };
}
