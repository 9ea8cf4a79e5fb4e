import type { Clock } from '../../src/domain/clock.js';
import type { DeviceTable } from '../../src/storage/schema.js';
import { iot } from './clients.js';
import type { sdkClient } from './clients.js';
import type { TestServer } from './server.js';

type Sdk = ReturnType<typeof sdkClient>;

/** Real time unless pinned; pinning gives several devices the same creation time or a known status time. */
export function pinnableClock(): Clock & { pin(ms: number): void; unpin(): void } {
  let pinned: number | undefined;
  return {
    now: () => pinned ?? Date.now(),
    pin(ms) {
      pinned = ms;
    },
    unpin() {
      pinned = undefined;
    },
  };
}

export async function createProduct(client: Sdk, name: string, nodeType = 0): Promise<string> {
  const res = await client.createProduct(new iot.CreateProductRequest({ productName: name, nodeType }));
  if (res.body.success !== true) throw new Error(`CreateProduct failed: ${res.body.code}`);
  return res.body.productKey!;
}

export interface Registered {
  productKey: string;
  deviceName: string;
  iotId: string;
  deviceSecret: string;
}

export async function registerDevice(client: Sdk, productKey: string, deviceName: string, nickname?: string): Promise<Registered> {
  const res = await client.registerDevice(new iot.RegisterDeviceRequest({ productKey, deviceName, nickname }));
  if (res.body.success !== true) throw new Error(`RegisterDevice failed: ${res.body.code}`);
  const d = res.body.data!;
  return { productKey, deviceName, iotId: d.iotId!, deviceSecret: d.deviceSecret! };
}

/** Writes device columns directly: sign-in (activation, session, IP) comes with the MQTT side, not these APIs. */
export async function setDeviceColumns(
  server: TestServer,
  iotId: string,
  columns: Partial<Pick<DeviceTable, 'status' | 'status_at' | 'created_at' | 'modified_at' | 'activated_at' | 'online_at' | 'ip_address'>>,
): Promise<void> {
  await server.service.storage.db.updateTable('device').set(columns).where('iot_id', '=', iotId).execute();
}

export async function deviceRow(server: TestServer, iotId: string) {
  return server.service.storage.db.selectFrom('device').selectAll().where('iot_id', '=', iotId).executeTakeFirstOrThrow();
}

/** A version the device reported for a module (device-protocol §4.1), written as the MQTT side would. */
export async function setModuleVersion(server: TestServer, iotId: string, moduleName: string, version: string): Promise<void> {
  const row = await deviceRow(server, iotId);
  await server.service.storage.db
    .insertInto('device_module_version')
    .values({ device_id: row.id, module_name: moduleName, version, reported_at: Date.now() })
    .execute();
}

/** Business failure code from an SDK response; throws when the call succeeded. */
export function codeOf(res: { body: { success?: boolean; code?: string } }): string {
  if (res.body.success !== false) throw new Error('expected a business failure');
  return res.body.code!;
}
