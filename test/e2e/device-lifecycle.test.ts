import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import {
  type Registered,
  codeOf,
  createProduct,
  deviceRow,
  pinnableClock,
  registerDevice,
  setDeviceColumns,
  setModuleVersion,
} from '../support/device-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

for (const dialect of testDialects()) {
  describe(`device lifecycle (${dialect})`, () => {
    const clock = pinnableClock();
    let server: TestServer;
    let sdk: ReturnType<typeof sdkClient>;
    let productKey: string;

    beforeAll(async () => {
      server = await startTestServer(dialect, { clock });
      sdk = sdkClient(server.endpoint, server.key, 'v3');
      productKey = await createProduct(sdk, 'Lifecycle_Product');
    });
    afterAll(async () => {
      await server?.stop();
    });

    async function statusOf(iotId: string) {
      const res = await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId }));
      const row = await deviceRow(server, iotId);
      return { status: res.body.data?.status, timestamp: res.body.data?.timestamp, modifiedAt: row.modified_at, statusAt: row.status_at };
    }

    for (const mode of ['v3', 'v2'] as const) {
      it(`disables and enables a never-activated device: DISABLE, then UNACTIVE, times set on each change (${mode})`, async () => {
        const client = sdkClient(server.endpoint, server.key, mode);
        const d = await registerDevice(sdk, productKey, `never-${mode}`);
        const t1 = Date.now() + 1_000;
        clock.pin(t1);
        const disabled = await client.disableThing(new iot.DisableThingRequest({ productKey, deviceName: d.deviceName }));
        expect(disabled.body).toEqual({ requestId: expect.any(String), success: true });
        expect(await statusOf(d.iotId)).toEqual({ status: 'DISABLE', timestamp: t1, modifiedAt: t1, statusAt: t1 });
        const listed = await client.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 50 }));
        const info = listed.body.data?.deviceInfo?.find((x) => x.iotId === d.iotId);
        expect(info).toMatchObject({ deviceStatus: 'DISABLE', utcModified: new Date(t1).toISOString() });
        const byStatus = await client.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: 8, productKey, pageSize: 50 }));
        expect(byStatus.body.data?.simpleDeviceInfo?.map((x) => x.iotId)).toContain(d.iotId);

        // D10: disabling again succeeds and changes nothing.
        clock.pin(t1 + 5_000);
        expect((await client.disableThing(new iot.DisableThingRequest({ iotId: d.iotId }))).body.success).toBe(true);
        expect(await statusOf(d.iotId)).toEqual({ status: 'DISABLE', timestamp: t1, modifiedAt: t1, statusAt: t1 });

        const t2 = t1 + 10_000;
        clock.pin(t2);
        const enabled = await client.enableThing(new iot.EnableThingRequest({ iotId: d.iotId }));
        expect(enabled.body).toEqual({ requestId: expect.any(String), success: true });
        expect(await statusOf(d.iotId)).toEqual({ status: 'UNACTIVE', timestamp: t2, modifiedAt: t2, statusAt: t2 });

        // D10: enabling an enabled device succeeds and changes nothing.
        clock.pin(t2 + 5_000);
        expect((await client.enableThing(new iot.EnableThingRequest({ productKey, deviceName: d.deviceName }))).body.success).toBe(true);
        expect(await statusOf(d.iotId)).toEqual({ status: 'UNACTIVE', timestamp: t2, modifiedAt: t2, statusAt: t2 });
        clock.unpin();
      });
    }

    it('enables an activated device as OFFLINE, from ONLINE and from OFFLINE (POP GET and POST)', async () => {
      const pop = popClient(server.url, server.key);
      for (const [name, status, method] of [
        ['was-online', 'ONLINE', 'GET'],
        ['was-offline', 'OFFLINE', 'POST'],
      ] as const) {
        const d = await registerDevice(sdk, productKey, name);
        await setDeviceColumns(server, d.iotId, { status, activated_at: Date.now() - 60_000, online_at: Date.now() - 30_000, ip_address: '192.0.2.9' });
        expect(await pop.request('DisableThing', { ProductKey: productKey, DeviceName: name }, { method })).toEqual({
          RequestId: expect.any(String),
          Success: true,
        });
        expect((await statusOf(d.iotId)).status).toBe('DISABLE');
        expect(await pop.request('EnableThing', { IotId: d.iotId }, { method })).toEqual({ RequestId: expect.any(String), Success: true });
        expect((await statusOf(d.iotId)).status).toBe('OFFLINE');
        const detail = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: d.iotId }));
        // Activation, session and address survive disable/enable.
        expect(detail.body.data).toMatchObject({ status: 'OFFLINE', ipAddress: '192.0.2.9', utcActive: expect.any(String) });
      }
    });

    it('acts on the IotId device even when ProductKey + DeviceName name another one', async () => {
      const a = await registerDevice(sdk, productKey, 'prec-a');
      const b = await registerDevice(sdk, productKey, 'prec-b');
      const both = { iotId: a.iotId, productKey, deviceName: b.deviceName };
      await sdk.disableThing(new iot.DisableThingRequest(both));
      expect([(await statusOf(a.iotId)).status, (await statusOf(b.iotId)).status]).toEqual(['DISABLE', 'UNACTIVE']);
      await setDeviceColumns(server, b.iotId, { status: 'DISABLE' });
      await sdk.enableThing(new iot.EnableThingRequest(both));
      expect([(await statusOf(a.iotId)).status, (await statusOf(b.iotId)).status]).toEqual(['UNACTIVE', 'DISABLE']);
      expect((await sdk.deleteDevice(new iot.DeleteDeviceRequest(both))).body.success).toBe(true);
      expect(codeOf(await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: a.iotId })))).toBe('iot.device.NotExistedDevice');
      expect((await statusOf(b.iotId)).status).toBe('DISABLE');
    });

    describe('DeleteDevice', () => {
      let victim: Registered;
      let keeper: Registered;

      beforeAll(async () => {
        victim = await registerDevice(sdk, productKey, 'victim-01', 'doomed_pump');
        keeper = await registerDevice(sdk, productKey, 'keeper-01');
        const db = server.service.storage.db;
        const now = Date.now();
        for (const d of [victim, keeper]) {
          const row = await deviceRow(server, d.iotId);
          const groupId = `G${row.id.slice(0, 15)}`;
          await db
            .insertInto('device_group')
            .values({
              group_id: groupId,
              account_id: row.account_id,
              instance_id: row.instance_id,
              group_name: `group_${d.deviceName.slice(0, 6)}`,
              group_desc: null,
              parent_group_id: null,
              depth: 1,
              created_at: now,
              modified_at: now,
            })
            .execute();
          await db.insertInto('device_group_member').values({ group_id: groupId, device_id: row.id, created_at: now }).execute();
          await db.insertInto('device_prop').values({ device_id: row.id, prop_key: 'color', prop_value: 'red', created_at: now }).execute();
          await setModuleVersion(server, d.iotId, 'default', '1.0.0');
          await setModuleVersion(server, d.iotId, 'wifi', '2.0.0');
        }
      });

      async function attachmentCounts(deviceRowId: string) {
        const db = server.service.storage.db;
        const count = async (table: 'device_group_member' | 'device_prop' | 'device_module_version') =>
          Number(
            (
              await db
                .selectFrom(table)
                .select((eb) => eb.fn.countAll<number>().as('n'))
                .where('device_id', '=', deviceRowId)
                .executeTakeFirstOrThrow()
            ).n,
          );
        return { members: await count('device_group_member'), props: await count('device_prop'), versions: await count('device_module_version') };
      }

      it('soft-deletes the device and removes its group memberships, tags and module versions, nothing else', async () => {
        const victimRow = await deviceRow(server, victim.iotId);
        const keeperRow = await deviceRow(server, keeper.iotId);
        expect(await attachmentCounts(victimRow.id)).toEqual({ members: 1, props: 1, versions: 2 });
        const before = await sdk.queryProduct(new iot.QueryProductRequest({ productKey }));

        const t = Date.now() + 2_000;
        clock.pin(t);
        const res = await sdk.deleteDevice(new iot.DeleteDeviceRequest({ productKey, deviceName: 'victim-01' }));
        clock.unpin();
        expect(res.body).toEqual({ requestId: expect.any(String), success: true });

        expect(await attachmentCounts(victimRow.id)).toEqual({ members: 0, props: 0, versions: 0 });
        expect(await attachmentCounts(keeperRow.id)).toEqual({ members: 1, props: 1, versions: 2 });
        const tombstone = await deviceRow(server, victim.iotId);
        expect(tombstone.deleted_at).toBe(t);
        const after = await sdk.queryProduct(new iot.QueryProductRequest({ productKey }));
        expect(after.body.data?.deviceCount).toBe(before.body.data!.deviceCount! - 1);
      });

      it('answers the deleted device as missing everywhere', async () => {
        const byId = { iotId: victim.iotId };
        const byName = { productKey, deviceName: 'victim-01' };
        for (const ref of [byId, byName]) {
          expect(codeOf(await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest(ref)))).toBe('iot.device.NotExistedDevice');
          expect(codeOf(await sdk.queryDeviceInfo(new iot.QueryDeviceInfoRequest(ref)))).toBe('iot.device.NotExistedDevice');
          expect(codeOf(await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest(ref)))).toBe('iot.device.NotExistedDevice');
          expect(codeOf(await sdk.disableThing(new iot.DisableThingRequest(ref)))).toBe('iot.device.NotExistedDevice');
          expect(codeOf(await sdk.enableThing(new iot.EnableThingRequest(ref)))).toBe('iot.device.NotExistedDevice');
          expect(codeOf(await sdk.deleteDevice(new iot.DeleteDeviceRequest(ref)))).toBe('iot.device.NotExistedDevice');
        }
        const batch = await sdk.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest({ productKey, deviceName: ['victim-01', 'keeper-01'] }));
        expect(batch.body.data?.data?.map((d) => d.deviceName)).toEqual(['keeper-01']);
        const states = await sdk.batchGetDeviceState(new iot.BatchGetDeviceStateRequest({ iotId: [victim.iotId, keeper.iotId] }));
        expect(states.body.deviceStatusList?.deviceStatus?.map((d) => d.iotId)).toEqual([keeper.iotId]);
        const listed = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 50 }));
        expect(listed.body.data?.deviceInfo?.map((d) => d.iotId)).not.toContain(victim.iotId);
        expect(listed.body.total).toBe(listed.body.data?.deviceInfo?.length);
        const byStatus = await sdk.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: 0, pageSize: 50 }));
        expect(byStatus.body.data?.simpleDeviceInfo?.map((d) => d.iotId)).not.toContain(victim.iotId);
      });

      for (const mode of ['v3', 'v2'] as const) {
        it(`lets the same DeviceName be registered again with a new IotId and secret (${mode})`, async () => {
          const client = sdkClient(server.endpoint, server.key, mode);
          const name = `again-${mode}`;
          const first = await registerDevice(client, productKey, name);
          await setModuleVersion(server, first.iotId, 'default', '3.1.4');
          expect((await client.deleteDevice(new iot.DeleteDeviceRequest({ iotId: first.iotId }))).body.success).toBe(true);
          const second = await registerDevice(client, productKey, name);
          expect(second.iotId).not.toBe(first.iotId);
          expect(second.deviceSecret).not.toBe(first.deviceSecret);
          const detail = await client.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ productKey, deviceName: name }));
          expect(detail.body.data).toMatchObject({ iotId: second.iotId, deviceSecret: second.deviceSecret, status: 'UNACTIVE' });
          // The new device starts clean: no version from its predecessor.
          expect(detail.body.data?.firmwareVersion).toBeUndefined();
          expect(codeOf(await client.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: first.iotId })))).toBe('iot.device.NotExistedDevice');
          // Both rows exist: the tombstone keeps the old IotId out of reuse.
          expect((await deviceRow(server, first.iotId)).deleted_at).not.toBeNull();
        });
      }

      it('deletes through POP (GET) as well', async () => {
        const d = await registerDevice(sdk, productKey, 'pop-delete');
        const pop = popClient(server.url, server.key);
        expect(await pop.request('DeleteDevice', { IotId: d.iotId })).toEqual({ RequestId: expect.any(String), Success: true });
        await expect(pop.request('DeleteDevice', { IotId: d.iotId }, { method: 'POST' })).rejects.toMatchObject({ code: 'iot.device.NotExistedDevice' });
      });
    });
  });
}
