import { operations } from '../../src/api/ops/index.js';
import { iot, sdkClient } from '../support/clients.js';
import type { TestServer } from '../support/server.js';
import type { IdPool } from './fuzz-signed.js';

const served = new Set(operations.map((op) => op.action));

interface Answer {
  body?: { success?: boolean; code?: string; errorMessage?: string };
}

function ok<T extends Answer>(what: string, res: T): T {
  if (res.body?.success !== true) throw new Error(`seeding ${what} failed: ${res.body?.code} ${res.body?.errorMessage}`);
  return res;
}

/**
 * Products, devices and, where the operations exist, a group with members, device properties and a
 * disabled device, all through the official SDK. Returns their identifiers as a pool for the fuzzer.
 */
export async function seedFleet(server: TestServer, tag: string): Promise<IdPool> {
  const sdk = sdkClient(server.endpoint, server.key, 'v3');
  const pool = { productKey: [] as string[], deviceName: [] as string[], iotId: [] as string[], groupId: [] as string[], instanceId: [] as string[] };
  const devices: { productKey: string; deviceName: string; iotId: string }[] = [];
  for (let p = 0; p < 2; p++) {
    const created = ok('CreateProduct', await sdk.createProduct(new iot.CreateProductRequest({ productName: `${tag}_product_${p}`, nodeType: 0, description: `seeded ${tag}` })));
    const productKey = created.body.productKey!;
    pool.productKey.push(productKey);
    for (let d = 0; d < 2; d++) {
      const deviceName = `${tag}_device_${p}_${d}`;
      const reg = ok('RegisterDevice', await sdk.registerDevice(new iot.RegisterDeviceRequest({ productKey, deviceName, nickname: `${tag}_nick_${d}` })));
      devices.push({ productKey, deviceName, iotId: reg.body.data!.iotId! });
      pool.deviceName.push(deviceName);
      pool.iotId.push(reg.body.data!.iotId!);
    }
  }
  if (served.has('CreateDeviceGroup')) {
    const group = ok('CreateDeviceGroup', await sdk.createDeviceGroup(new iot.CreateDeviceGroupRequest({ groupName: `${tag}_group`, groupDesc: `seeded ${tag}` })));
    const groupId = group.body.data!.groupId!;
    pool.groupId.push(groupId);
    if (served.has('BatchAddDeviceGroupRelations')) {
      const device = devices.slice(0, 2).map((d) => new iot.BatchAddDeviceGroupRelationsRequestDevice({ productKey: d.productKey, deviceName: d.deviceName }));
      ok('BatchAddDeviceGroupRelations', await sdk.batchAddDeviceGroupRelations(new iot.BatchAddDeviceGroupRelationsRequest({ groupId, device })));
    }
  }
  if (served.has('SaveDeviceProp')) {
    ok('SaveDeviceProp', await sdk.saveDeviceProp(new iot.SaveDevicePropRequest({ iotId: devices[0]!.iotId, props: JSON.stringify({ color: 'red', site: tag }) })));
  }
  if (served.has('DisableThing')) {
    ok('DisableThing', await sdk.disableThing(new iot.DisableThingRequest({ iotId: devices[devices.length - 1]!.iotId })));
  }
  return pool;
}
