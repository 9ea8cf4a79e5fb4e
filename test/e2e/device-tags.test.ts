import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain/account/account-service.js';
import { operations } from '../../src/api/ops/index.js';
import { iot, popClient, sdkClient, type Credentials } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Client = ReturnType<typeof sdkClient>;

async function scopeOf(server: TestServer, key: Credentials): Promise<Scope> {
  const { accounts } = server.service.services;
  const resolved = await accounts.resolveKey(key.accessKeyId);
  return (await accounts.resolveScope(resolved!.accountId, undefined))!;
}

function expectBusiness(res: { body: { success?: boolean; code?: string } }, code: string): void {
  expect(res.body.success, `expected ${code}`).toBe(false);
  expect(res.body.code).toBe(code);
}

async function expectGateway(call: Promise<unknown>, code: string): Promise<void> {
  await expect(call).rejects.toMatchObject({ code, statusCode: 400 });
}

/** `{"k0":"v0",…}` with `count` keys. */
function manyProps(count: number, prefix = 'k'): Record<string, string> {
  return Object.fromEntries(Array.from({ length: count }, (_, i) => [`${prefix}${i}`, `v${i}`]));
}

for (const dialect of testDialects()) {
  describe(`device tags (${dialect})`, () => {
    let server: TestServer;
    let scope: Scope;
    let v3: Client;
    let v2: Client;
    let other: Client;
    let productKey = '';
    let otherProductKey = '';
    let otherIotId = '';
    let seq = 0;

    const newDevice = async () => {
      const deviceName = `tag-dev-${++seq}`;
      const d = await server.service.services.devices.register(scope, { productKey, deviceName, loraFields: false });
      return { productKey, deviceName, iotId: d.iotId };
    };
    const save = (client: Client, target: { iotId?: string; productKey?: string; deviceName?: string }, props?: string) =>
      client.saveDeviceProp(new iot.SaveDevicePropRequest({ ...target, props }));
    const query = async (client: Client, target: { iotId?: string; productKey?: string; deviceName?: string }) => {
      const res = await client.queryDeviceProp(new iot.QueryDevicePropRequest(target));
      expect(res.body.success, res.body.code).toBe(true);
      expect(typeof res.body.props).toBe('string');
      return JSON.parse(res.body.props!) as Record<string, string>;
    };

    beforeAll(async () => {
      server = await startTestServer(dialect);
      scope = await scopeOf(server, server.key);
      v3 = sdkClient(server.endpoint, server.key, 'v3');
      v2 = sdkClient(server.endpoint, server.key, 'v2');
      const { services } = server.service;
      productKey = (await services.products.create(scope, { productName: 'tag_lamp', nodeType: 0 })).productKey;
      const created = await services.accounts.createAccount('other');
      const otherKey = { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret };
      other = sdkClient(server.endpoint, otherKey, 'v3');
      const otherScope = await scopeOf(server, otherKey);
      otherProductKey = (await services.products.create(otherScope, { productName: 'other_lamp', nodeType: 0 })).productKey;
      otherIotId = (await services.devices.register(otherScope, { productKey: otherProductKey, deviceName: 'other-lamp', loraFields: false })).iotId;
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`saves, merges, reads and deletes tags (SDK ${mode})`, async () => {
        const client = mode === 'v3' ? v3 : v2;
        const d = await newDevice();
        const byName = { productKey: d.productKey, deviceName: d.deviceName };

        const empty = await client.queryDeviceProp(new iot.QueryDevicePropRequest(byName));
        expect(empty.body).toMatchObject({ success: true, props: '{}' });
        expect(empty.body.code).toBeUndefined();

        const saved = await save(client, byName, JSON.stringify({ color: 'red', shape: 'round' }));
        expect(saved.body.success).toBe(true);
        expect(saved.body.code).toBeUndefined();
        expect(await query(client, byName)).toEqual({ color: 'red', shape: 'round' });

        // Keys in Props are added or overwritten; the others stay.
        expect((await save(client, { iotId: d.iotId }, JSON.stringify({ color: 'blue', room: '201' }))).body.success).toBe(true);
        expect(await query(client, { iotId: d.iotId })).toEqual({ color: 'blue', room: '201', shape: 'round' });

        // Numbers and booleans are kept as their JSON text; values are answered as strings.
        await save(client, byName, '{"floor": 3, "lit": true, "ratio": 0.5, "note": "说明"}');
        const props = await query(client, byName);
        expect(props).toEqual({ color: 'blue', floor: '3', lit: 'true', note: '说明', ratio: '0.5', room: '201', shape: 'round' });
        for (const value of Object.values(props)) expect(typeof value).toBe('string');

        expect((await client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ ...byName, propKey: 'shape' }))).body.success).toBe(true);
        expect((await client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId: d.iotId, propKey: 'room' }))).body.success).toBe(true);
        // A key the device does not have is not an error.
        const absent = await client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ ...byName, propKey: 'neverSet' }));
        expect(absent.body.success).toBe(true);
        expect(await query(client, byName)).toEqual({ color: 'blue', floor: '3', lit: 'true', note: '说明', ratio: '0.5' });
      });
    }

    it('lets IotId win over ProductKey + DeviceName, and keeps devices apart', async () => {
      const a = await newDevice();
      const b = await newDevice();
      await save(v3, { iotId: a.iotId, productKey: b.productKey, deviceName: b.deviceName }, '{"owner":"a"}');
      expect(await query(v3, { iotId: a.iotId })).toEqual({ owner: 'a' });
      expect(await query(v3, { productKey: b.productKey, deviceName: b.deviceName })).toEqual({});
      await v3.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId: b.iotId, productKey: a.productKey, deviceName: a.deviceName, propKey: 'owner' }));
      expect(await query(v3, { iotId: a.iotId })).toEqual({ owner: 'a' });
    });

    it('checks the Props text', async () => {
      const d = await newDevice();
      const target = { iotId: d.iotId };
      const cases: [string, string][] = [
        ['', 'iot.device.NullDevicePropertiesString'],
        ['not json', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['{"color":"red"', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['[{"color":"red"}]', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['"color"', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['null', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['42', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['{"color":null}', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['{"color":{"r":1}}', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['{"color":["red"]}', 'iot.device.InvalidFormattedDevicePropertiesString'],
        ['{}', 'iot.device.NoneDeviceProperties'],
        ['{"1color":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"c":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        [`{"${'k'.repeat(33)}":"red"}`, 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"col_or":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"col-or":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"颜色":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"":"red"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
        ['{"ok1":"fine","bad key":"x"}', 'iot.device.InvalidFormattedDevicePropertyKey'],
      ];
      for (const [props, code] of cases) expectBusiness(await save(v2, target, props), code);
      await expectGateway(save(v2, target, undefined), 'MissingProps');
      // Nothing of the refused calls was stored, not even the valid part of a mixed one.
      expect(await query(v2, target)).toEqual({});

      // Key length 2 and 32 are fine, digits after the first letter too.
      expect((await save(v2, target, JSON.stringify({ ab: '1', [`K${'9'.repeat(31)}`]: '2', a1B2: '3' }))).body.success).toBe(true);
      expect(Object.keys(await query(v2, target)).sort()).toEqual(['K9999999999999999999999999999999', 'a1B2', 'ab']);
    });

    it('limits Props to 5 KB of UTF-8', async () => {
      const d = await newDevice();
      const target = { productKey: d.productKey, deviceName: d.deviceName };
      const frame = '{"big":""}'.length;
      const exact = JSON.stringify({ big: 'x'.repeat(5120 - frame) });
      expect(Buffer.byteLength(exact)).toBe(5120);
      expect((await save(v3, target, exact)).body.success).toBe(true);
      expectBusiness(await save(v3, target, JSON.stringify({ big: 'x'.repeat(5121 - frame) })), 'iot.device.LongDevicePropertiesString');
      // Bytes, not characters: 2,000 CJK characters are 6,000 bytes.
      const cjk = JSON.stringify({ big: '说'.repeat(2000) });
      expect(cjk.length).toBeLessThan(5120);
      expectBusiness(await save(v3, target, cjk), 'iot.device.LongDevicePropertiesString');
      // An over-long text is refused before it is parsed.
      expectBusiness(await save(v3, target, 'x'.repeat(6000)), 'iot.device.LongDevicePropertiesString');
      expect((await query(v3, target)).big).toHaveLength(5120 - frame);
    });

    it('allows 100 tags per call and per device', async () => {
      const d = await newDevice();
      const target = { iotId: d.iotId };
      expectBusiness(await save(v3, target, JSON.stringify(manyProps(101))), 'iot.device.TooManyDevicePropertiesPerTime');
      expect(await query(v3, target)).toEqual({});
      expect((await save(v3, target, JSON.stringify(manyProps(60, 'a')))).body.success).toBe(true);
      // 60 + 41 new keys would be 101 on the device.
      expectBusiness(await save(v3, target, JSON.stringify(manyProps(41, 'b'))), 'iot.device.TooManyDevicePropertiesPerTime');
      expect(Object.keys(await query(v3, target))).toHaveLength(60);
      // Overwritten keys do not count twice: 10 old + 40 new = 100.
      const mixed = { ...manyProps(10, 'a'), ...manyProps(40, 'b') };
      for (const k of Object.keys(mixed)) mixed[k] = 'new';
      expect((await save(v3, target, JSON.stringify(mixed))).body.success).toBe(true);
      const full = await query(v3, target);
      expect(Object.keys(full)).toHaveLength(100);
      expect(full.a0).toBe('new');
      expect(full.a59).toBe('v59');
      // At 100, overwriting is still fine, a new key is not.
      expect((await save(v3, target, '{"a1":"again"}')).body.success).toBe(true);
      expectBusiness(await save(v3, target, '{"c0":"one more"}'), 'iot.device.TooManyDevicePropertiesPerTime');
      // The reserved key is accepted but never stored, so it does not count.
      expect((await save(v3, target, '{"abc":"hidden"}')).body.success).toBe(true);
      // Deleting one makes room.
      await v3.deleteDeviceProp(new iot.DeleteDevicePropRequest({ ...target, propKey: 'b39' }));
      expect((await save(v3, target, '{"c0":"one more"}')).body.success).toBe(true);
      expect(Object.keys(await query(v3, target))).toHaveLength(100);
      // 100 in one call onto an empty device is fine.
      const fresh = await newDevice();
      expect((await save(v3, { iotId: fresh.iotId }, JSON.stringify(manyProps(100)))).body.success).toBe(true);
      expect(Object.keys(await query(v3, { iotId: fresh.iotId }))).toHaveLength(100);
    });

    it('accepts the reserved key abc and never returns it', async () => {
      const d = await newDevice();
      const target = { iotId: d.iotId };
      expect((await save(v2, target, '{"abc":"hidden","shown":"yes"}')).body.success).toBe(true);
      expect(await query(v2, target)).toEqual({ shown: 'yes' });
      expect((await save(v2, target, '{"abc":"only"}')).body.success).toBe(true);
      expect(await query(v2, target)).toEqual({ shown: 'yes' });
      expect((await v2.deleteDeviceProp(new iot.DeleteDevicePropRequest({ ...target, propKey: 'abc' }))).body.success).toBe(true);
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`answers the device errors of fleet-api §1.2 and the PropKey errors (SDK ${mode})`, async () => {
        const client = mode === 'v3' ? v3 : v2;
        const d = await newDevice();
        const calls = {
          save: (t: Record<string, string>) => client.saveDeviceProp(new iot.SaveDevicePropRequest({ ...t, props: '{"color":"red"}' })),
          query: (t: Record<string, string>) => client.queryDeviceProp(new iot.QueryDevicePropRequest(t)),
          delete: (t: Record<string, string>) => client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ ...t, propKey: 'color' })),
        };
        for (const call of Object.values(calls)) {
          expectBusiness(await call({}), 'iot.prod.NullProductKey');
          expectBusiness(await call({ deviceName: d.deviceName }), 'iot.prod.NullProductKey');
          expectBusiness(await call({ productKey: '', deviceName: d.deviceName }), 'iot.prod.NullProductKey');
          expectBusiness(await call({ productKey: d.productKey }), 'iot.device.NullDeviceName');
          expectBusiness(await call({ productKey: d.productKey, deviceName: '' }), 'iot.device.NullDeviceName');
          expectBusiness(await call({ productKey: 'a1-bad!', deviceName: d.deviceName }), 'iot.prod.InvalidFormattedProductkey');
          expectBusiness(await call({ productKey: d.productKey, deviceName: 'x' }), 'iot.device.InvalidFormattedDeviceName');
          expectBusiness(await call({ productKey: 'a1NoSuchProd', deviceName: d.deviceName }), 'iot.prod.NotExistedProduct');
          expectBusiness(await call({ productKey: d.productKey, deviceName: 'no-such-device' }), 'iot.device.NotExistedDevice');
          expectBusiness(await call({ iotId: 'not-an-id!' }), 'iot.device.InvalidIoTId');
          expectBusiness(await call({ iotId: 'Zz9Zz9Zz9Zz9Zz9Zz9Zz000100' }), 'iot.device.NotExistedDevice');
          // Another account's device answers like a missing one, by IotId or by name.
          expectBusiness(await call({ iotId: otherIotId }), 'iot.device.NotExistedDevice');
          expectBusiness(await call({ productKey: otherProductKey, deviceName: 'other-lamp' }), 'iot.prod.NotExistedProduct');
        }
        expectBusiness(await client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId: d.iotId, propKey: '' })), 'iot.device.NullDevicePropertyKey');
        await expectGateway(client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId: d.iotId })), 'MissingPropKey');
      });
    }

    it("keeps another account's tags apart", async () => {
      const d = await newDevice();
      await save(v3, { iotId: d.iotId }, '{"owner":"main"}');
      expect((await save(other, { iotId: otherIotId }, '{"owner":"other"}')).body.success).toBe(true);
      expectBusiness(await save(other, { iotId: d.iotId }, '{"owner":"thief"}'), 'iot.device.NotExistedDevice');
      expectBusiness(await other.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId: d.iotId, propKey: 'owner' })), 'iot.device.NotExistedDevice');
      expectBusiness(await v3.queryDeviceProp(new iot.QueryDevicePropRequest({ iotId: otherIotId })), 'iot.device.NotExistedDevice');
      expect(await query(v3, { iotId: d.iotId })).toEqual({ owner: 'main' });
      expect(await query(other, { iotId: otherIotId })).toEqual({ owner: 'other' });
    });

    it('answers POP with Props as a JSON string at the top level', async () => {
      const d = await newDevice();
      const pop = popClient(server.url, server.key);
      const saved = (await pop.request(
        'SaveDeviceProp',
        { ProductKey: d.productKey, DeviceName: d.deviceName, Props: '{"color":"red","room":"201"}' },
        { method: 'POST' },
      )) as Record<string, unknown>;
      expect(Object.keys(saved).sort()).toEqual(['RequestId', 'Success']);
      const got = (await pop.request('QueryDeviceProp', { IotId: d.iotId })) as Record<string, unknown>;
      expect(Object.keys(got).sort()).toEqual(['Props', 'RequestId', 'Success']);
      expect(got.Props).toBe('{"color":"red","room":"201"}');
      const deleted = (await pop.request('DeleteDeviceProp', { IotId: d.iotId, PropKey: 'color' }, { method: 'POST' })) as Record<string, unknown>;
      expect(deleted.Success).toBe(true);
      expect(((await pop.request('QueryDeviceProp', { IotId: d.iotId })) as { Props: string }).Props).toBe('{"room":"201"}');
      await expect(pop.request('SaveDeviceProp', { IotId: d.iotId, Props: '{}' }, { method: 'POST' })).rejects.toMatchObject({
        code: 'iot.device.NoneDeviceProperties',
      });
    });

    it('declares the QPS of fleet-api §1.6', () => {
      const qps = Object.fromEntries(operations.map((o) => [o.action, o.qps]));
      expect([qps.SaveDeviceProp, qps.QueryDeviceProp, qps.DeleteDeviceProp]).toEqual([50, 50, 500]);
    });
  });

  describe(`device tags: storage failures (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('answers the storage-failure codes of fleet-api §9 when the tag table is unusable', async () => {
      const scope = await scopeOf(server, server.key);
      const { services } = server.service;
      const productKey = (await services.products.create(scope, { productName: 'broken_lamp', nodeType: 0 })).productKey;
      const { iotId } = await services.devices.register(scope, { productKey, deviceName: 'broken-1', loraFields: false });
      const client = sdkClient(server.endpoint, server.key, 'v3');
      const db = server.service.storage.db;
      await db.schema.alterTable('device_prop').renameTo('device_prop_away').execute();
      try {
        expectBusiness(await client.saveDeviceProp(new iot.SaveDevicePropRequest({ iotId, props: '{"a1":"b"}' })), 'iot.device.SaveOrUpdateDevicePropertiesFailed');
        expectBusiness(await client.queryDeviceProp(new iot.QueryDevicePropRequest({ iotId })), 'iot.common.QueryDevicePropertyActionError');
        expectBusiness(await client.deleteDeviceProp(new iot.DeleteDevicePropRequest({ iotId, propKey: 'a1' })), 'iot.device.DeleteDevicePropertyFailed');
        // Business failures still win over the storage mapping.
        expectBusiness(await client.saveDeviceProp(new iot.SaveDevicePropRequest({ iotId, props: '{}' })), 'iot.device.NoneDeviceProperties');
      } finally {
        await db.schema.alterTable('device_prop_away').renameTo('device_prop').execute();
      }
      expect((await client.saveDeviceProp(new iot.SaveDevicePropRequest({ iotId, props: '{"a1":"b"}' }))).body.success).toBe(true);
    });
  });
}
