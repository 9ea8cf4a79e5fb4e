/**
 * The fields of an MQTT CONNECT that identify and authenticate a device (device-protocol.md §2.1):
 * ClientId `{id}|{k}={v},…|`, username `{deviceName}&{productKey}`, password = hex HMAC.
 */
export type SignMethod = 'hmacsha1' | 'hmacsha256' | 'hmacmd5';

export interface ConnectCredentials {
  /** What precedes the first `|` of the ClientId: the signed `clientId` (any format: `pk&dn`, `pk.dn`, a MAC …). */
  readonly signedClientId: string;
  readonly productKey: string;
  readonly deviceName: string;
  readonly signMethod: SignMethod;
  /** Signed when the ClientId carries it; never checked for freshness (§2.3: C SDKs send a fixed 2050 value). */
  readonly timestamp: string | undefined;
  readonly secureMode: string | undefined;
  readonly password: string;
}

/** CONNACK return codes of MQTT 3.1.1 as device-protocol.md §2.4 assigns them. */
export const connackCodes = {
  identifierRejected: 2,
  badUserNameOrPassword: 4,
  notAuthorized: 5,
} as const;

export type CredentialsResult =
  | { readonly ok: true; readonly credentials: ConnectCredentials }
  | { readonly ok: false; readonly returnCode: number; readonly reason: string };

const signMethods: ReadonlySet<string> = new Set<SignMethod>(['hmacsha1', 'hmacsha256', 'hmacmd5']);
// The device-chosen id is at most 64 characters (§2.1); product keys and device names are far shorter
// (fleet-api §2.1: DeviceName ≤ 32). Generous bounds, only to refuse absurd input before any look-up.
const MAX_SIGNED_CLIENT_ID = 64;
const MAX_IDENTITY_PART = 64;
const MAX_PASSWORD = 128;

export function parseConnectCredentials(clientId: string, username: string | undefined, password: Buffer | undefined): CredentialsResult {
  const firstBar = clientId.indexOf('|');
  const lastBar = clientId.lastIndexOf('|');
  // §2.4 step 1: the ClientId must carry `|…|`.
  if (firstBar < 0 || lastBar === firstBar) return refuse(connackCodes.identifierRejected, 'ClientId lacks the |…| part');
  const signedClientId = clientId.slice(0, firstBar);
  if (signedClientId.length > MAX_SIGNED_CLIENT_ID) return refuse(connackCodes.identifierRejected, 'ClientId id part is too long');
  const pairs = new Map<string, string>();
  for (const pair of clientId.slice(firstBar + 1, lastBar).split(',')) {
    const eq = pair.indexOf('=');
    if (eq > 0) pairs.set(pair.slice(0, eq), pair.slice(eq + 1));
  }

  const amp = username === undefined ? -1 : username.indexOf('&');
  if (username === undefined || amp <= 0 || amp === username.length - 1) {
    return refuse(connackCodes.badUserNameOrPassword, 'username is not deviceName&productKey');
  }
  const deviceName = username.slice(0, amp);
  const productKey = username.slice(amp + 1);
  if (deviceName.length > MAX_IDENTITY_PART || productKey.length > MAX_IDENTITY_PART || productKey.includes('&')) {
    return refuse(connackCodes.badUserNameOrPassword, 'username is not deviceName&productKey');
  }

  // MQTTDOC: hmacmd5 when absent. An unknown method is a malformed field (§2.4 step 2, unconfirmed): 4.
  const signMethod = (pairs.get('signmethod') ?? 'hmacmd5').toLowerCase();
  if (!signMethods.has(signMethod)) return refuse(connackCodes.badUserNameOrPassword, 'unknown signmethod');
  if (password === undefined || password.length === 0 || password.length > MAX_PASSWORD) {
    return refuse(connackCodes.badUserNameOrPassword, 'password missing or malformed');
  }

  return {
    ok: true,
    credentials: {
      signedClientId,
      productKey,
      deviceName,
      signMethod: signMethod as SignMethod,
      timestamp: pairs.get('timestamp'),
      secureMode: pairs.get('securemode'),
      password: password.toString('latin1'),
    },
  };
}

function refuse(returnCode: number, reason: string): CredentialsResult {
  return { ok: false, returnCode, reason };
}
