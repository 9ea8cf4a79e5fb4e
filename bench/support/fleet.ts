import { writeFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { startService } from '../../src/main.js';
import { signInFields } from '../../test/support/mqtt-device.js';
import type { SwarmDevice } from './swarm-client.js';

export interface Fleet {
  readonly productKey: string;
  readonly devices: { deviceName: string; deviceSecret: string }[];
}

export type Key = { accessKeyId: string; accessKeySecret: string };

/** Environment of a benchmarked `flotilla serve` child on SQLite in `dataDir`, ephemeral ports, quiet log. */
export function flotillaEnv(dataDir: string, key: Key): NodeJS.ProcessEnv {
  return {
    ...process.env,
    FLOTILLA_HOST: '127.0.0.1',
    FLOTILLA_HTTP_PORT: '0',
    FLOTILLA_MQTT_PORT: '0',
    FLOTILLA_DATA_DIR: dataDir,
    FLOTILLA_DATABASE_URL: '',
    FLOTILLA_PUBLIC_URL: '',
    FLOTILLA_ACCESS_KEY_ID: key.accessKeyId,
    FLOTILLA_ACCESS_KEY_SECRET: key.accessKeySecret,
    FLOTILLA_RATE_LIMITS: 'off',
    FLOTILLA_LOG_LEVEL: 'warn',
  };
}

/**
 * Registers `count` devices of one new product in `dataDir`, through Flotilla's own services in this process
 * (BatchRegisterDevice's code path, 10,000 per application), before the server under test starts: the
 * benchmarks are about the broker, not about registration over HTTP (QueryPageByApplyId hands out 50
 * secrets per call).
 */
export async function seedFleet(dataDir: string, key: Key, count: number): Promise<Fleet> {
  const env = flotillaEnv(dataDir, key);
  const service = await startService(loadConfig({ ...env, FLOTILLA_LOG_LEVEL: 'silent', FLOTILLA_MQTT_WEBSOCKET: 'off' }));
  try {
    const { services } = service;
    const account = await services.accounts.resolveKey(key.accessKeyId);
    if (account === undefined) throw new Error('the bootstrap access key was not created');
    const scope = await services.accounts.resolveScope(account.accountId, undefined);
    if (scope === undefined) throw new Error('the bootstrap account has no default instance');
    const product = await services.products.create(scope, { productName: 'bench_fleet', nodeType: 0 });
    const devices: Fleet['devices'] = [];
    for (let left = count; left > 0; left -= 10_000) {
      const applyId = await services.batchRegistration.registerCount(scope, { productKey: product.productKey, count: Math.min(left, 10_000) });
      const page = await services.batchRegistration.devicesOf(scope, { applyId: String(applyId) }, { currentPage: 1, pageSize: 10_000 });
      devices.push(...page.items.map((d) => ({ deviceName: d.deviceName, deviceSecret: d.deviceSecret })));
    }
    if (devices.length !== count) throw new Error(`seeded ${devices.length} devices, wanted ${count}`);
    return { productKey: product.productKey, devices };
  } finally {
    await service.close();
  }
}

/** The swarm's device list (Node SDK ClientId form, HMAC-SHA1 with timestamp), written as JSON to `file`. */
export function writeSwarmDevices(file: string, fleet: Fleet): void {
  const list: SwarmDevice[] = fleet.devices.map((d) => ({
    ...signInFields({ productKey: fleet.productKey, deviceName: d.deviceName, deviceSecret: d.deviceSecret }),
    subscribe: `/ota/device/upgrade/${fleet.productKey}/${d.deviceName}`,
    publishTopic: `/ota/device/progress/${fleet.productKey}/${d.deviceName}`,
  }));
  writeFileSync(file, JSON.stringify(list));
}

/** Read-only look into a running Flotilla's SQLite file (WAL: committed data only). */
export function openDatabaseReadOnly(dataDir: string): Database.Database {
  return new Database(join(dataDir, 'flotilla.db'), { readonly: true, fileMustExist: true });
}
