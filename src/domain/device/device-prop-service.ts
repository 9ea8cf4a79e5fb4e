import { lockDevice } from '../../storage/repos/device-repo.js';
import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-prop-repo.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import type { DeviceRef, DeviceService } from './device-service.js';

/** fleet-api §9.1 (DOCS): ≤ 5 KB of Props text, ≤ 100 tags per call and per device. */
export const devicePropLimits = {
  propsBytes: 5 * 1024,
  tagsPerCall: 100,
  tagsPerDevice: 100,
} as const;

/**
 * fleet-api §9.1: `abc` is reserved; it is accepted and never returned (DOCS: filtered on query). Flotilla
 * drops it on save, so it neither shows nor counts towards the 100 tags of the device.
 */
export const RESERVED_TAG_KEY = 'abc';

/** fleet-api §2.5: letters and digits, not starting with a digit, 2–32 characters (device-side rule, unconfirmed here). */
export function isValidTagKey(key: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]{1,31}$/.test(key);
}

/**
 * Reads and checks the `Props` text (fleet-api §9.1), before the device is looked up (unconfirmed order).
 * Numbers and booleans are kept as their JSON text (unconfirmed).
 */
export function parseProps(text: string): Map<string, string> {
  if (text === '') throw new BusinessError('iot.device.NullDevicePropertiesString');
  if (Buffer.byteLength(text, 'utf8') > devicePropLimits.propsBytes) throw new BusinessError('iot.device.LongDevicePropertiesString');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new BusinessError('iot.device.InvalidFormattedDevicePropertiesString');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new BusinessError('iot.device.InvalidFormattedDevicePropertiesString');
  }
  const entries = Object.entries(parsed as Record<string, unknown>);
  if (entries.length === 0) throw new BusinessError('iot.device.NoneDeviceProperties');
  if (entries.length > devicePropLimits.tagsPerCall) throw new BusinessError('iot.device.TooManyDevicePropertiesPerTime');
  const props = new Map<string, string>();
  for (const [key, value] of entries) {
    if (!isValidTagKey(key)) throw new BusinessError('iot.device.InvalidFormattedDevicePropertyKey');
    if (typeof value === 'string') props.set(key, value);
    else if (typeof value === 'number' || typeof value === 'boolean') props.set(key, JSON.stringify(value));
    else throw new BusinessError('iot.device.InvalidFormattedDevicePropertiesString');
  }
  return props;
}

export interface DevicePropServiceDeps {
  db: Db;
  clock: Clock;
  devices: DeviceService;
}

/** Device tags (fleet-api §9): free key/value labels, never used to select OTA targets. */
export function createDevicePropService(deps: DevicePropServiceDeps) {
  const { db, clock, devices } = deps;

  return {
    /** fleet-api §9.1: keys are added or overwritten, other tags stay (unconfirmed merge). */
    async save(scope: Scope, ref: DeviceRef, propsText: string): Promise<void> {
      const props = parseProps(propsText);
      props.delete(RESERVED_TAG_KEY);
      const { row } = await devices.resolveDevice(scope, ref);
      await inTransaction(db, async (tx) => {
        await lockDevice(tx, row.id);
        const existing = new Set((await repo.listProps(tx, row.id)).map((p) => p.prop_key));
        let after = existing.size;
        for (const key of props.keys()) if (!existing.has(key)) after++;
        if (after > devicePropLimits.tagsPerDevice) {
          throw new BusinessError('iot.device.TooManyDevicePropertiesPerTime', 'A device can have at most 100 tags.');
        }
        await repo.upsertProps(
          tx,
          row.id,
          [...props].map(([prop_key, prop_value]) => ({ prop_key, prop_value })),
          clock.now(),
        );
      });
    },

    /** fleet-api §9.2: the tags as one object, keys in code-point order (the same on both databases). */
    async query(scope: Scope, ref: DeviceRef): Promise<Record<string, string>> {
      const { row } = await devices.resolveDevice(scope, ref);
      const rows = (await repo.listProps(db, row.id)).filter((p) => p.prop_key !== RESERVED_TAG_KEY);
      rows.sort((a, b) => (a.prop_key < b.prop_key ? -1 : a.prop_key > b.prop_key ? 1 : 0));
      const props: Record<string, string> = {};
      for (const p of rows) props[p.prop_key] = p.prop_value;
      return props;
    },

    /** fleet-api §9.3: a key the device does not have is not an error. */
    async delete(scope: Scope, ref: DeviceRef, propKey: string): Promise<void> {
      if (propKey === '') throw new BusinessError('iot.device.NullDevicePropertyKey');
      const { row } = await devices.resolveDevice(scope, ref);
      await repo.deleteProp(db, row.id, propKey);
    },
  };
}

export type DevicePropService = ReturnType<typeof createDevicePropService>;
