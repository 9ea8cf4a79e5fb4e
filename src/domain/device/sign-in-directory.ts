import type { Db } from '../../storage/db.js';
import { findSignInRow, type SignInRow } from '../../storage/repos/device-session-repo.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { DeviceChangeFeed } from './device-change-feed.js';

/** Who a signed-in device is: what the gateway and the rollout side know it by. */
export interface DeviceIdentityRecord {
  readonly rowId: string;
  readonly iotId: string;
  readonly accountId: string;
  readonly instanceId: string;
  readonly productId: string;
  readonly productKey: string;
  readonly deviceName: string;
}

/** A device as MQTT sign-in needs it. */
export interface SignInDevice extends DeviceIdentityRecord {
  readonly deviceSecret: string;
  readonly disabled: boolean;
}

export interface SignInDirectory {
  /** The live device, from the cache when it is there; undefined for an unknown or deleted device. */
  find(productKey: string, deviceName: string): Promise<SignInDevice | undefined>;
  readonly size: number;
}

/**
 * Device credentials for MQTT sign-in behind a bounded cache (BENCHMARKS.md: secrets are read on every
 * connect, so a connect storm must not read the database once per connect). Entries are dropped on every
 * change notice (disable, enable, delete, new secret), so a disabled device is refused at its next
 * connect. Unknown devices are not cached: registering one must let it in at once. The least recently used
 * entry goes first when the cache is full.
 */
export function createSignInDirectory(deps: { db: Db; secretBox: SecretBox; changes: DeviceChangeFeed; capacity?: number }): SignInDirectory {
  const { db, secretBox, changes } = deps;
  const capacity = deps.capacity ?? 100_000;
  const cache = new Map<string, SignInDevice>();
  const keyOf = (productKey: string, deviceName: string) => `${productKey}&${deviceName}`;

  // Counts change notices, so that a read which raced with a change is answered but not cached.
  let changesSeen = 0;
  changes.subscribe((change) => {
    changesSeen++;
    cache.delete(keyOf(change.productKey, change.deviceName));
  });

  // Entries of one product share its strings instead of holding a copy each (20,000 devices of one product
  // would otherwise keep 80,000 copies of four strings; bench/RESULTS.md, connections).
  const productStrings = new Map<string, string>();
  const shared = (value: string) => {
    const known = productStrings.get(value);
    if (known !== undefined) return known;
    if (productStrings.size >= capacity) productStrings.clear();
    productStrings.set(value, value);
    return value;
  };

  function toDevice(row: SignInRow): SignInDevice {
    return {
      rowId: row.id,
      iotId: row.iot_id,
      accountId: shared(row.account_id),
      instanceId: shared(row.instance_id),
      productId: shared(row.product_id),
      productKey: shared(row.product_key),
      deviceName: row.device_name,
      // This cache keeps the secret; the secret box's own cache would hold it a second time.
      deviceSecret: secretBox.openUncached(row.device_secret_enc),
      disabled: row.status === 'DISABLE',
    };
  }

  return {
    async find(productKey, deviceName) {
      const key = keyOf(productKey, deviceName);
      const cached = cache.get(key);
      if (cached !== undefined) {
        // Map keeps insertion order: re-inserting marks the entry most recently used.
        cache.delete(key);
        cache.set(key, cached);
        return cached;
      }
      const before = changesSeen;
      const row = await findSignInRow(db, productKey, deviceName);
      if (row === undefined) return undefined;
      const device = toDevice(row);
      if (changesSeen !== before) return device;
      cache.set(key, device);
      if (cache.size > capacity) cache.delete(cache.keys().next().value!);
      return device;
    },
    get size() {
      return cache.size;
    },
  };
}
