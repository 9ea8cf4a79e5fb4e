import { randomBytes, randomInt, randomUUID } from 'node:crypto';

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const LOWER_ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** `length` characters drawn uniformly from `alphabet` with a CSPRNG. */
export function randomString(length: number, alphabet: string = ALNUM): string {
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

/** Internal row ids: time-ordered (they nearly halve bulk insert time, shared/BENCHMARKS.md) and unique. */
export function timeOrderedId(now: number = Date.now()): string {
  return now.toString(36).padStart(9, '0') + randomBytes(8).toString('hex');
}

/** fleet-api §2.1 and §2.2: the formats Alibaba's samples show. */
export const idFormats = {
  productKey: () => 'a1' + randomString(9),
  productSecret: () => randomString(16),
  deviceSecret: () => randomString(32),
  iotId: () => randomString(20) + '000100',
  generatedDeviceName: () => randomString(20),
  groupId: () => randomString(16),
  accountId: () => randomString(16, '0123456789'),
  accessKeyId: () => 'LTAI' + randomString(20),
  accessKeySecret: () => randomString(30),
  instanceId: () => 'iot-' + randomString(8, LOWER_ALNUM),
  /** rpc-protocol §9.2: UUID-style, upper case. */
  requestId: () => randomUUID().toUpperCase(),
};

/** fleet-api §2.1: the legacy DeviceId is the first 20 characters of the IotId. */
export function deviceIdOf(iotId: string): string {
  return iotId.slice(0, 20);
}
