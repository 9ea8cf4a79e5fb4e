import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Db } from '../../storage/db.js';
import { findDeviceByName } from '../../storage/repos/device-repo.js';
import { findRegistrationProduct, replaceUnactivatedSecret, setDynamicRegister } from '../../storage/repos/dynamic-registration-repo.js';
import { idFormats } from '../../security/random-ids.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Clock } from '../clock.js';
import { isValidDeviceName } from '../fleet-rules.js';
import type { DeviceChangeFeed } from './device-change-feed.js';

/** The form fields of `POST /auth/register/device` (device-protocol.md §2.5). */
export interface RegistrationRequest {
  readonly productKey: string;
  readonly deviceName: string;
  readonly random: string;
  readonly signMethod: string;
  readonly sign: string;
}

/** device-protocol.md §2.5 (CODES "device registration"). */
export type RegistrationFailureCode = 460 | 500 | 6288 | 6289 | 6292 | 6600;

export type RegistrationOutcome =
  | { readonly ok: true; readonly productKey: string; readonly deviceName: string; readonly deviceSecret: string }
  | { readonly ok: false; readonly code: RegistrationFailureCode; readonly message: string };

// The exact wording Alibaba uses is unconfirmed; devices look at `code` only (NODE, C3).
const failures = {
  badParameter: (what: string) => fail(460, `invalid parameter: ${what}`),
  unknownDevice: () => fail(460, 'invalid parameter: the device is not registered'),
  disabledDevice: () => fail(460, 'invalid parameter: the device is disabled'),
  disabled: () => fail(6288, 'dynamic registration is not enabled for this product'),
  activated: () => fail(6289, 'the device is already activated'),
  signMethod: () => fail(6292, 'sign method not supported'),
  sign: () => fail(6600, 'signature check failed'),
};

function fail(code: RegistrationFailureCode, message: string): RegistrationOutcome {
  return { ok: false, code, message };
}

const ALGORITHMS: Readonly<Record<string, string>> = { hmacsha1: 'sha1', hmacsha256: 'sha256', hmacmd5: 'md5' };
// Generous bounds (samples: 11-character ProductKeys, NODE's ~11-character base-36 random, C3's 15
// characters): anything longer is no device's request.
const MAX_PRODUCT_KEY = 64;
const MAX_RANDOM = 128;
const MAX_SIGN = 128;
const PRINTABLE = /^[\x21-\x7e]+$/;

/** The signed content: field names sorted, no separators (device-protocol.md §2.5). */
export function registrationSign(productSecret: string, request: Omit<RegistrationRequest, 'sign'>): string {
  const algorithm = ALGORITHMS[request.signMethod.toLowerCase()];
  if (algorithm === undefined) throw new Error(`unsupported sign method ${request.signMethod}`);
  const content = `deviceName${request.deviceName}productKey${request.productKey}random${request.random}`;
  return createHmac(algorithm, productSecret).update(content).digest('hex');
}

export interface DynamicRegistrationDeps {
  readonly db: Db;
  readonly secretBox: SecretBox;
  readonly clock: Clock;
  /** Told of every new secret, so the MQTT sign-in cache forgets the old one. */
  readonly changes: DeviceChangeFeed;
}

/**
 * "One product, one secret" dynamic registration of pre-registered devices (device-protocol.md §2.5) and
 * its per-product switch (fleet-api.md §2.2: a Flotilla product setting, off by default).
 */
export function createDynamicRegistrationService(deps: DynamicRegistrationDeps) {
  const { db, secretBox, clock, changes } = deps;

  return {
    /**
     * Checks in this order, so that nothing about a product shows to someone without its ProductSecret:
     * parameters (460), sign method (6292), signature (6600, also for an unknown product), the product's
     * switch (6288), the device (460 when unknown or disabled — unconfirmed), activation (6289).
     */
    async register(request: RegistrationRequest): Promise<RegistrationOutcome> {
      const { productKey, deviceName, random, signMethod, sign } = request;
      if (!PRINTABLE.test(productKey) || productKey.length > MAX_PRODUCT_KEY) return failures.badParameter('productKey');
      if (!isValidDeviceName(deviceName)) return failures.badParameter('deviceName');
      if (!PRINTABLE.test(random) || random.length > MAX_RANDOM) return failures.badParameter('random');
      if (!PRINTABLE.test(sign) || sign.length > MAX_SIGN) return failures.badParameter('sign');
      // Lower case in every sample; any case accepted like the MQTT sign-in's signmethod (unconfirmed).
      if (ALGORITHMS[signMethod.toLowerCase()] === undefined) return failures.signMethod();

      const product = await findRegistrationProduct(db, productKey);
      if (product === undefined) return failures.sign();
      const expected = registrationSign(secretBox.open(product.product_secret_enc), request);
      if (!sameHex(expected, sign)) return failures.sign();
      if (product.dynamic_register !== 1) return failures.disabled();

      const device = await findDeviceByName(db, product.id, deviceName);
      if (device === undefined) return failures.unknownDevice();
      // A disabled device gets no secret: enabling it is the owner's decision (unconfirmed code).
      if (device.status === 'DISABLE') return failures.disabledDevice();
      // Activation is the first MQTT sign-in (states.md D2); an activated device must be reset first.
      if (device.activated_at !== null || device.status !== 'UNACTIVE') return failures.activated();

      // Every registration of a device not yet activated issues a new secret (device-protocol.md §2.5).
      const deviceSecret = idFormats.deviceSecret();
      if (!(await replaceUnactivatedSecret(db, device.id, secretBox.seal(deviceSecret), clock.now()))) {
        // It signed in (or was disabled or deleted) between the read and the write.
        const now = await findDeviceByName(db, product.id, deviceName);
        if (now === undefined) return failures.unknownDevice();
        return now.status === 'DISABLE' ? failures.disabledDevice() : failures.activated();
      }
      changes.publish({ kind: 'secretChanged', deviceId: device.id, productKey: product.product_key, deviceName: device.device_name });
      return { ok: true, productKey: product.product_key, deviceName: device.device_name, deviceSecret };
    },

    setEnabled: (productKey: string, enabled: boolean) => setDynamicRegistration(db, productKey, enabled),
  };
}

/**
 * The product setting (CLI `flotilla products dynamic-registration`); undefined for an unknown product.
 * Standalone as well as on the service: switching needs no secrets, so the CLI needs no master key for it.
 */
export async function setDynamicRegistration(
  db: Db,
  productKey: string,
  enabled: boolean,
): Promise<{ productKey: string; dynamicRegistration: boolean } | undefined> {
  return (await setDynamicRegister(db, productKey, enabled)) ? { productKey, dynamicRegistration: enabled } : undefined;
}

export type DynamicRegistrationService = ReturnType<typeof createDynamicRegistrationService>;

/** Hex digests compared in any case and in constant time. */
function sameHex(expectedLowerHex: string, given: string): boolean {
  if (given.length !== expectedLowerHex.length) return false;
  const a = Buffer.from(expectedLowerHex, 'latin1');
  const b = Buffer.from(given.toLowerCase(), 'latin1');
  return a.length === b.length && timingSafeEqual(a, b);
}
