import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ConnectCredentials, SignMethod } from './connect-credentials.js';

const hmacAlgorithms: Record<SignMethod, string> = { hmacsha1: 'sha1', hmacsha256: 'sha256', hmacmd5: 'md5' };

/**
 * The sign-in password a device must send (device-protocol.md §2.2): hex HMAC, keyed with the DeviceSecret,
 * over `clientId{id}deviceName{dn}productKey{pk}[timestamp{ts}]` — the pairs sorted by key, no separators.
 */
export function expectedPassword(credentials: Omit<ConnectCredentials, 'password' | 'secureMode'>, deviceSecret: string): string {
  let content = `clientId${credentials.signedClientId}deviceName${credentials.deviceName}productKey${credentials.productKey}`;
  if (credentials.timestamp !== undefined) content += `timestamp${credentials.timestamp}`;
  return createHmac(hmacAlgorithms[credentials.signMethod], deviceSecret).update(content, 'utf8').digest('hex');
}

/**
 * Verifies with the declared signmethod only (§2.3: a Node SDK device that declares hmacsha256 but sends an
 * SHA-1 digest is refused, as Alibaba's documented rule does). Hex case is ignored; the compare is constant-time.
 */
export function passwordMatches(credentials: ConnectCredentials, deviceSecret: string): boolean {
  const expected = Buffer.from(expectedPassword(credentials, deviceSecret), 'latin1');
  const given = Buffer.from(credentials.password.toLowerCase(), 'latin1');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
