import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import {
  type Registered,
  codeOf,
  createProduct,
  registerDevice,
  setDeviceColumns,
  setModuleVersion,
} from '../support/device-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

// fleet-api §5.1 example instants; the "Gmt" fields are those + 8 h by default (§1.5).
const CREATED = Date.UTC(2026, 2, 2, 8, 15, 30);
const ACTIVATED = Date.UTC(2026, 2, 2, 9, 0, 12);
const ONLINE = Date.UTC(2026, 2, 9, 1, 2, 3);
const STATUS_AT = 1773018123000;

for (const dialect of testDialects()) {
  describe(`device queries (${dialect})`, () => {
    let server: TestServer;
    let sdk: ReturnType<typeof sdkClient>;
    let pop: ReturnType<typeof popClient>;
    let productKey: string;
    let productName: string;
    let pump: Registered; // fully populated: activated, online, nickname, firmware version
    let fresh: Registered; // just registered: nothing optional
    let otherProductKey: string;
    let valve: Registered; // in the other product

    beforeAll(async () => {
      server = await startTestServer(dialect);
      sdk = sdkClient(server.endpoint, server.key, 'v3');
      pop = popClient(server.url, server.key);
      productName = 'Pump_Controller';
      productKey = await createProduct(sdk, productName, 1);
      otherProductKey = await createProduct(sdk, 'Valve_Controller', 0);
      pump = await registerDevice(sdk, productKey, 'pump-0042', 'north_field_pump');
      fresh = await registerDevice(sdk, productKey, 'pump-0043');
      valve = await registerDevice(sdk, otherProductKey, 'valve:01');
      await setDeviceColumns(server, pump.iotId, {
        status: 'ONLINE',
        status_at: STATUS_AT,
        created_at: CREATED,
        modified_at: ONLINE,
        activated_at: ACTIVATED,
        online_at: ONLINE,
        ip_address: '192.0.2.17',
      });
      await setModuleVersion(server, pump.iotId, 'default', '2.4.1');
      await setModuleVersion(server, pump.iotId, 'wifi', '9.9');
    });
    afterAll(async () => {
      await server?.stop();
    });

    const pumpDetail = () => ({
      IotId: pump.iotId,
      ProductKey: productKey,
      ProductName: productName,
      DeviceName: 'pump-0042',
      DeviceSecret: pump.deviceSecret,
      Nickname: 'north_field_pump',
      NodeType: 1,
      Status: 'ONLINE',
      FirmwareVersion: '2.4.1',
      IpAddress: '192.0.2.17',
      Region: 'cn-shanghai',
      Owner: true,
      UtcCreate: '2026-03-02T08:15:30.000Z',
      GmtCreate: '2026-03-02 16:15:30',
      UtcActive: '2026-03-02T09:00:12.000Z',
      GmtActive: '2026-03-02 17:00:12',
      UtcOnline: '2026-03-09T01:02:03.000Z',
      GmtOnline: '2026-03-09 09:02:03',
    });

    describe('QueryDeviceDetail', () => {
      it('answers every field with its wire type and time format (POP, raw JSON)', async () => {
        const body = await pop.request('QueryDeviceDetail', { ProductKey: productKey, DeviceName: 'pump-0042' }, { method: 'POST' });
        expect(body).toEqual({ RequestId: expect.any(String), Success: true, Data: pumpDetail() });
      });

      it('omits what a never-connected device does not have', async () => {
        const body = (await pop.request('QueryDeviceDetail', { IotId: fresh.iotId })) as { Data: Record<string, unknown> };
        const created = body.Data.UtcCreate as string;
        expect(body.Data).toEqual({
          IotId: fresh.iotId,
          ProductKey: productKey,
          ProductName: productName,
          DeviceName: 'pump-0043',
          DeviceSecret: fresh.deviceSecret,
          NodeType: 1,
          Status: 'UNACTIVE',
          Region: 'cn-shanghai',
          Owner: true,
          UtcCreate: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
          GmtCreate: new Date(Date.parse(created) + 8 * 3600_000).toISOString().slice(0, 19).replace('T', ' '),
        });
      });

      for (const mode of ['v3', 'v2'] as const) {
        it(`reads the same through the SDK (${mode}), by name and by IotId`, async () => {
          const client = sdkClient(server.endpoint, server.key, mode);
          for (const req of [{ productKey, deviceName: 'pump-0042' }, { iotId: pump.iotId }]) {
            const res = await client.queryDeviceDetail(new iot.QueryDeviceDetailRequest(req));
            expect(res.body.success).toBe(true);
            expect(res.body.data).toMatchObject({
              iotId: pump.iotId,
              productKey,
              productName,
              deviceName: 'pump-0042',
              deviceSecret: pump.deviceSecret,
              nickname: 'north_field_pump',
              nodeType: 1,
              status: 'ONLINE',
              firmwareVersion: '2.4.1',
              ipAddress: '192.0.2.17',
              region: 'cn-shanghai',
              owner: true,
              utcCreate: '2026-03-02T08:15:30.000Z',
              gmtCreate: '2026-03-02 16:15:30',
              utcActive: '2026-03-02T09:00:12.000Z',
              gmtActive: '2026-03-02 17:00:12',
              utcOnline: '2026-03-09T01:02:03.000Z',
              gmtOnline: '2026-03-09 09:02:03',
            });
          }
        });
      }
    });

    describe('QueryDeviceInfo', () => {
      it('answers identity and secret only (POP raw, SDK v3 and v2)', async () => {
        const body = await pop.request('QueryDeviceInfo', { IotId: pump.iotId });
        expect(body).toEqual({
          RequestId: expect.any(String),
          Success: true,
          Data: { IotId: pump.iotId, ProductKey: productKey, DeviceName: 'pump-0042', DeviceSecret: pump.deviceSecret, Nickname: 'north_field_pump' },
        });
        const bare = (await pop.request('QueryDeviceInfo', { ProductKey: productKey, DeviceName: 'pump-0043' })) as { Data: unknown };
        expect(bare.Data).toEqual({ IotId: fresh.iotId, ProductKey: productKey, DeviceName: 'pump-0043', DeviceSecret: fresh.deviceSecret });
        for (const mode of ['v3', 'v2'] as const) {
          const res = await sdkClient(server.endpoint, server.key, mode).queryDeviceInfo(
            new iot.QueryDeviceInfoRequest({ productKey, deviceName: 'pump-0042' }),
          );
          expect(res.body.data).toEqual({
            iotId: pump.iotId,
            productKey,
            deviceName: 'pump-0042',
            deviceSecret: pump.deviceSecret,
            nickname: 'north_field_pump',
          });
        }
      });
    });

    describe('GetDeviceStatus', () => {
      it('answers the status and the epoch-ms time of its last change', async () => {
        expect(await pop.request('GetDeviceStatus', { IotId: pump.iotId })).toEqual({
          RequestId: expect.any(String),
          Success: true,
          Data: { Status: 'ONLINE', Timestamp: STATUS_AT },
        });
        // UNACTIVE: the registration time (fleet-api §5.5).
        const created = Date.parse(((await pop.request('QueryDeviceDetail', { IotId: fresh.iotId })) as { Data: { UtcCreate: string } }).Data.UtcCreate);
        for (const mode of ['v3', 'v2'] as const) {
          const res = await sdkClient(server.endpoint, server.key, mode).getDeviceStatus(
            new iot.GetDeviceStatusRequest({ productKey, deviceName: 'pump-0043' }),
          );
          expect(res.body.data).toEqual({ status: 'UNACTIVE', timestamp: created });
        }
      });
    });

    describe('BatchQueryDeviceDetail', () => {
      it('answers Data.Data[] in request order, unknown names left out, duplicates once (POP raw)', async () => {
        const body = await pop.request(
          'BatchQueryDeviceDetail',
          { ProductKey: productKey, 'DeviceName.1': 'pump-0043', 'DeviceName.2': 'no-such-device', 'DeviceName.3': 'pump-0042', 'DeviceName.4': 'pump-0043' },
          { method: 'POST' },
        );
        const { Nickname: _n, IpAddress: _i, Owner: _o, UtcOnline: _u, GmtOnline: _g, ...pumpBatch } = pumpDetail();
        expect(body).toEqual({
          RequestId: expect.any(String),
          Success: true,
          Data: {
            Data: [
              {
                IotId: fresh.iotId,
                ProductKey: productKey,
                ProductName: productName,
                DeviceName: 'pump-0043',
                DeviceSecret: fresh.deviceSecret,
                NodeType: 1,
                Status: 'UNACTIVE',
                Region: 'cn-shanghai',
                UtcCreate: expect.any(String),
                GmtCreate: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
              },
              { ...pumpBatch, Nickname: 'north_field_pump' },
            ],
          },
        });
      });

      it('answers one device as a one-element array and no device as an empty one (SDK v3 and v2)', async () => {
        for (const mode of ['v3', 'v2'] as const) {
          const client = sdkClient(server.endpoint, server.key, mode);
          const one = await client.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest({ productKey, deviceName: ['pump-0042'] }));
          expect(one.body.data?.data).toHaveLength(1);
          expect(one.body.data?.data?.[0]).toMatchObject({ iotId: pump.iotId, firmwareVersion: '2.4.1', gmtActive: '2026-03-02 17:00:12', nodeType: 1 });
          const none = await client.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest({ productKey, deviceName: ['absent-1'] }));
          expect(none.body.success).toBe(true);
          expect(none.body.data?.data).toEqual([]);
        }
      });

      it('accepts 100 names and refuses 101; checks every name and the product', async () => {
        const names = (n: number) => Array.from({ length: n }, (_, i) => `dev-${i}`);
        const ok = await sdk.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest({ productKey, deviceName: [...names(99), 'pump-0042'] }));
        expect(ok.body.data?.data?.map((d) => d.deviceName)).toEqual(['pump-0042']);
        const call = (req: { productKey?: string; deviceName?: string[] }) =>
          sdk.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest(req));
        expect(codeOf(await call({ productKey, deviceName: names(101) }))).toBe('iot.device.TooManyDeviceNamesPerRequest');
        expect(codeOf(await call({ productKey, deviceName: ['pump-0042', 'x!'] }))).toBe('iot.device.InvalidFormattedDeviceNameInNameArray');
        expect(codeOf(await call({ productKey, deviceName: ['abc'] }))).toBe('iot.device.InvalidFormattedDeviceNameInNameArray');
        expect(codeOf(await call({ productKey: '', deviceName: ['pump-0042'] }))).toBe('iot.prod.NullProductKey');
        expect(codeOf(await call({ productKey: 'a1-bad!', deviceName: ['pump-0042'] }))).toBe('iot.prod.InvalidFormattedProductkey');
        expect(codeOf(await call({ productKey: 'a1NoSuchOne', deviceName: ['pump-0042'] }))).toBe('iot.prod.NotExistedProduct');
        await expect(call({ productKey })).rejects.toMatchObject({ code: 'MissingDeviceName', statusCode: 400 });
        await expect(call({ deviceName: ['pump-0042'] })).rejects.toMatchObject({ code: 'MissingProductKey', statusCode: 400 });
      });
    });

    describe('BatchGetDeviceState', () => {
      it('answers by ProductKey + DeviceName.N with every field (POP raw)', async () => {
        const body = await pop.request('BatchGetDeviceState', {
          ProductKey: productKey,
          'DeviceName.1': 'pump-0042',
          'DeviceName.2': 'no-such-device',
          'DeviceName.3': 'pump-0043',
        });
        expect(body).toEqual({
          RequestId: expect.any(String),
          Success: true,
          DeviceStatusList: {
            DeviceStatus: [
              {
                IotId: pump.iotId,
                DeviceId: pump.iotId.slice(0, 20),
                DeviceName: 'pump-0042',
                Status: 'ONLINE',
                AsAddress: '192.0.2.17',
                LastOnlineTime: '2026-03-09 09:02:03',
                Timestamp: STATUS_AT,
              },
              { IotId: fresh.iotId, DeviceId: fresh.iotId.slice(0, 20), DeviceName: 'pump-0043', Status: 'UNACTIVE', Timestamp: expect.any(Number) },
            ],
          },
        });
      });

      it('answers by IotId.N across products; IotId.N wins over names (SDK v3 and v2)', async () => {
        for (const mode of ['v3', 'v2'] as const) {
          const client = sdkClient(server.endpoint, server.key, mode);
          const res = await client.batchGetDeviceState(
            new iot.BatchGetDeviceStateRequest({
              iotId: [valve.iotId, 'Unknown0000000000000000100', pump.iotId, valve.iotId],
              productKey,
              deviceName: ['pump-0043'],
            }),
          );
          expect(res.body.success).toBe(true);
          expect(res.body.deviceStatusList?.deviceStatus).toEqual([
            { iotId: valve.iotId, deviceId: valve.iotId.slice(0, 20), deviceName: 'valve:01', status: 'UNACTIVE' },
            {
              iotId: pump.iotId,
              deviceId: pump.iotId.slice(0, 20),
              deviceName: 'pump-0042',
              status: 'ONLINE',
              asAddress: '192.0.2.17',
              lastOnlineTime: '2026-03-09 09:02:03',
            },
          ]);
        }
      });

      it('answers every documented error', async () => {
        const call = (req: { productKey?: string; deviceName?: string[]; iotId?: string[] }) =>
          sdk.batchGetDeviceState(new iot.BatchGetDeviceStateRequest(req));
        const names = (n: number) => Array.from({ length: n }, (_, i) => `dev-${i}`);
        const ids = (n: number) => Array.from({ length: n }, (_, i) => `Id${String(i).padStart(18, '0')}000100`);
        expect((await call({ productKey, deviceName: names(50) })).body.deviceStatusList?.deviceStatus).toEqual([]);
        expect((await call({ iotId: ids(50) })).body.deviceStatusList?.deviceStatus).toEqual([]);
        expect(codeOf(await call({ productKey, deviceName: names(51) }))).toBe('iot.device.TooManyDeviceNamesPerRequest');
        expect(codeOf(await call({ iotId: ids(51) }))).toBe('iot.device.TooManyDeviceNamesPerRequest');
        expect(codeOf(await call({}))).toBe('iot.device.NoneDeviceNameElement');
        expect(codeOf(await call({ productKey }))).toBe('iot.device.NoneDeviceNameElement');
        expect(codeOf(await call({ productKey, deviceName: ['pump-0042', 'bad name'] }))).toBe('iot.device.InvalidFormattedDeviceNameInNameArray');
        expect(codeOf(await call({ iotId: [pump.iotId, 'bad-id!'] }))).toBe('iot.device.InvalidIoTId');
        expect(codeOf(await call({ deviceName: ['pump-0042'] }))).toBe('iot.prod.NullProductKey');
        expect(codeOf(await call({ productKey: '', deviceName: ['pump-0042'] }))).toBe('iot.prod.NullProductKey');
        expect(codeOf(await call({ productKey: 'a1-bad!', deviceName: ['pump-0042'] }))).toBe('iot.prod.InvalidFormattedProductkey');
        expect(codeOf(await call({ productKey: 'a1NoSuchOne', deviceName: ['pump-0042'] }))).toBe('iot.prod.NotExistedProduct');
      });
    });

    describe('QueryDevice', () => {
      it('answers top-level paging and cookie-date Gmt fields (POP raw)', async () => {
        const body = (await pop.request('QueryDevice', { ProductKey: productKey, CurrentPage: 1, PageSize: 10 })) as Record<string, unknown>;
        const fields = (r: Registered, name: string, extra: Record<string, unknown>) => ({
          IotId: r.iotId,
          DeviceId: r.iotId.slice(0, 20),
          ProductKey: productKey,
          DeviceName: name,
          DeviceSecret: r.deviceSecret,
          ...extra,
        });
        expect(body).toEqual({
          RequestId: expect.any(String),
          Success: true,
          Page: 1,
          PageSize: 10,
          PageCount: 1,
          Total: 2,
          Data: {
            DeviceInfo: [
              // newest first: pump-0042's creation time was moved back to March.
              fields(fresh, 'pump-0043', {
                DeviceStatus: 'UNACTIVE',
                UtcCreate: expect.any(String),
                GmtCreate: expect.stringMatching(/^(Sun|Mon|Tue|Wed|Thu|Fri|Sat), \d\d-[A-Z][a-z]{2}-\d{4} \d\d:\d\d:\d\d GMT$/),
                UtcModified: expect.any(String),
                GmtModified: expect.stringMatching(/ GMT$/),
              }),
              fields(pump, 'pump-0042', {
                Nickname: 'north_field_pump',
                DeviceStatus: 'ONLINE',
                UtcCreate: '2026-03-02T08:15:30.000Z',
                GmtCreate: 'Mon, 02-Mar-2026 08:15:30 GMT',
                UtcModified: '2026-03-09T01:02:03.000Z',
                GmtModified: 'Mon, 09-Mar-2026 01:02:03 GMT',
              }),
            ],
          },
        });
      });

      it('uses page 1 and size 10 by default; a page past the end is empty with the true Total', async () => {
        const def = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey }));
        expect(def.body).toMatchObject({ success: true, page: 1, pageSize: 10, pageCount: 1, total: 2 });
        expect(def.body.nextToken).toBeUndefined();
        const past = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, currentPage: 3, pageSize: 1 }));
        expect(past.body).toMatchObject({ success: true, page: 3, pageSize: 1, pageCount: 2, total: 2 });
        expect(past.body.data?.deviceInfo).toEqual([]);
        expect(past.body.nextToken).toBeUndefined();
      });

      it('answers every documented error', async () => {
        const call = (req: Record<string, unknown>) => sdk.queryDevice(new iot.QueryDeviceRequest(req));
        await expect(call({ currentPage: 1 })).rejects.toMatchObject({ code: 'MissingProductKey', statusCode: 400 });
        expect(codeOf(await call({ productKey: '' }))).toBe('iot.prod.NullProductKey');
        expect(codeOf(await call({ productKey: 'a1-bad!' }))).toBe('iot.prod.InvalidFormattedProductkey');
        expect(codeOf(await call({ productKey: 'a1NoSuchOne' }))).toBe('iot.prod.NotExistedProduct');
        for (const paging of [{ pageSize: 51 }, { pageSize: 0 }, { currentPage: 0 }, { currentPage: -1 }, { currentPage: 2001, pageSize: 50 }]) {
          expect(codeOf(await call({ productKey, ...paging }))).toBe('iot.common.InvalidPageParams');
        }
        expect((await call({ productKey, currentPage: 2000, pageSize: 50 })).body.success).toBe(true);
        expect(codeOf(await call({ productKey, nextToken: 'not-a-token' }))).toBe('iot.system.IllegalRequest');
        expect(codeOf(await call({ productKey, nextToken: Buffer.from('[1,"x",1,"y",2]').toString('base64url') }))).toBe('iot.system.IllegalRequest');
        await expect(pop.request('QueryDevice', { ProductKey: productKey, PageSize: 'ten' })).rejects.toMatchObject({ code: 'InvalidParameter' });
      });
    });

    describe('QueryDeviceByStatus', () => {
      it('lists one status with string Status and yyyy-MM-dd HH:mm:ss Gmt fields (POP raw)', async () => {
        const body = await pop.request('QueryDeviceByStatus', { Status: 1 });
        expect(body).toEqual({
          RequestId: expect.any(String),
          Success: true,
          Page: 1,
          PageSize: 10,
          PageCount: 1,
          Total: 1,
          Data: {
            SimpleDeviceInfo: [
              {
                IotId: pump.iotId,
                ProductKey: productKey,
                DeviceName: 'pump-0042',
                DeviceSecret: pump.deviceSecret,
                Nickname: 'north_field_pump',
                Status: 'ONLINE',
                UtcCreate: '2026-03-02T08:15:30.000Z',
                GmtCreate: '2026-03-02 16:15:30',
                UtcModified: '2026-03-09T01:02:03.000Z',
                GmtModified: '2026-03-09 09:02:03',
              },
            ],
          },
        });
      });

      it('maps every status number, filters by product and pages (SDK v3 and v2)', async () => {
        const p = await createProduct(sdk, 'Status_Product', 0);
        const made: Record<string, Registered> = {};
        for (const [name, status] of [
          ['st-unactive', 'UNACTIVE'],
          ['st-online', 'ONLINE'],
          ['st-offline', 'OFFLINE'],
          ['st-disable', 'DISABLE'],
        ] as const) {
          made[status] = await registerDevice(sdk, p, name);
          await setDeviceColumns(server, made[status].iotId, { status });
        }
        for (const mode of ['v3', 'v2'] as const) {
          const client = sdkClient(server.endpoint, server.key, mode);
          for (const [num, status] of [
            [0, 'UNACTIVE'],
            [1, 'ONLINE'],
            [3, 'OFFLINE'],
            [8, 'DISABLE'],
          ] as const) {
            const res = await client.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: num, productKey: p }));
            expect(res.body).toMatchObject({ success: true, page: 1, pageSize: 10, pageCount: 1, total: 1 });
            expect(res.body.data?.simpleDeviceInfo?.map((d) => [d.iotId, d.status])).toEqual([[made[status]!.iotId, status]]);
          }
          // Without ProductKey: every product of the instance (UNACTIVE: fresh, valve and st-unactive).
          const all = await client.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: 0, pageSize: 2 }));
          expect(all.body).toMatchObject({ page: 1, pageSize: 2, pageCount: 2, total: 3 });
          const second = await client.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: 0, pageSize: 2, currentPage: 2 }));
          const seen = [...(all.body.data?.simpleDeviceInfo ?? []), ...(second.body.data?.simpleDeviceInfo ?? [])].map((d) => d.iotId);
          expect(new Set(seen)).toEqual(new Set([fresh.iotId, valve.iotId, made.UNACTIVE!.iotId]));
          expect(seen).toHaveLength(3);
          // Newest first.
          expect(seen[0]).toBe(made.UNACTIVE!.iotId);
        }
      });

      it('answers every documented error', async () => {
        const call = (req: Record<string, unknown>) => sdk.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest(req));
        await expect(call({ productKey })).rejects.toMatchObject({ code: 'MissingStatus', statusCode: 400 });
        for (const status of [2, 4, -1, 9, 100]) expect(codeOf(await call({ status }))).toBe('iot.system.IllegalRequest');
        await expect(pop.request('QueryDeviceByStatus', { Status: 'ONLINE' })).rejects.toMatchObject({ code: 'InvalidParameter' });
        expect(codeOf(await call({ status: 1, productKey: 'a1-bad!' }))).toBe('iot.prod.InvalidFormattedProductkey');
        expect(codeOf(await call({ status: 1, productKey: 'a1NoSuchOne' }))).toBe('iot.prod.NotExistedProduct');
        for (const paging of [{ pageSize: 51 }, { pageSize: 0 }, { currentPage: 0 }, { currentPage: 2001, pageSize: 50 }]) {
          expect(codeOf(await call({ status: 1, ...paging }))).toBe('iot.common.InvalidPageParams');
        }
        expect((await call({ status: 1, pageSize: 50 })).body.success).toBe(true);
      });
    });

    describe('naming one device (fleet-api §1.2)', () => {
      type Ref = { iotId?: string; productKey?: string; deviceName?: string };
      const single: Record<string, (ref: Ref) => Promise<{ body: { success?: boolean; code?: string } }>> = {
        QueryDeviceDetail: (r) => sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest(r)),
        QueryDeviceInfo: (r) => sdk.queryDeviceInfo(new iot.QueryDeviceInfoRequest(r)),
        GetDeviceStatus: (r) => sdk.getDeviceStatus(new iot.GetDeviceStatusRequest(r)),
        DisableThing: (r) => sdk.disableThing(new iot.DisableThingRequest(r)),
        EnableThing: (r) => sdk.enableThing(new iot.EnableThingRequest(r)),
        DeleteDevice: (r) => sdk.deleteDevice(new iot.DeleteDeviceRequest(r)),
      };
      const cases: [string, () => Ref, string][] = [
        ['nothing', () => ({}), 'iot.prod.NullProductKey'],
        ['only a DeviceName', () => ({ deviceName: 'pump-0042' }), 'iot.prod.NullProductKey'],
        ['an empty ProductKey', () => ({ productKey: '', deviceName: 'pump-0042' }), 'iot.prod.NullProductKey'],
        ['only a ProductKey', () => ({ productKey }), 'iot.device.NullDeviceName'],
        ['an empty DeviceName', () => ({ productKey, deviceName: '' }), 'iot.device.NullDeviceName'],
        ['a malformed ProductKey', () => ({ productKey: 'a1-bad!', deviceName: 'pump-0042' }), 'iot.prod.InvalidFormattedProductkey'],
        ['a malformed DeviceName', () => ({ productKey, deviceName: 'ab' }), 'iot.device.InvalidFormattedDeviceName'],
        ['an unknown product', () => ({ productKey: 'a1NoSuchOne', deviceName: 'pump-0042' }), 'iot.prod.NotExistedProduct'],
        ['an unknown device', () => ({ productKey, deviceName: 'pump-9999' }), 'iot.device.NotExistedDevice'],
        ['a device of another product', () => ({ productKey, deviceName: 'valve:01' }), 'iot.device.NotExistedDevice'],
        ['a malformed IotId', () => ({ iotId: 'bad-id!' }), 'iot.device.InvalidIoTId'],
        ['a too long IotId', () => ({ iotId: 'A'.repeat(65) }), 'iot.device.InvalidIoTId'],
        ['an unknown IotId', () => ({ iotId: 'Unknown0000000000000000100' }), 'iot.device.NotExistedDevice'],
        // IotId wins even when ProductKey + DeviceName name a real device.
        ['a malformed IotId with a valid name', () => ({ iotId: 'bad-id!', productKey, deviceName: 'pump-0042' }), 'iot.device.InvalidIoTId'],
        ['an unknown IotId with a valid name', () => ({ iotId: 'Unknown0000000000000000100', productKey, deviceName: 'pump-0042' }), 'iot.device.NotExistedDevice'],
      ];
      for (const action of Object.keys(single)) {
        it(`${action} answers every §1.2 code`, async () => {
          for (const [label, ref, code] of cases) {
            const res = await single[action]!(ref());
            expect({ label, code: res.body.code }).toEqual({ label, code });
            expect(res.body.success).toBe(false);
          }
        });
      }

      it('reads the IotId device even when ProductKey + DeviceName name another one; an empty IotId is ignored', async () => {
        const wrong = { productKey: otherProductKey, deviceName: 'valve:01' };
        const detail = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: pump.iotId, ...wrong }));
        expect(detail.body.data?.deviceName).toBe('pump-0042');
        const info = await sdk.queryDeviceInfo(new iot.QueryDeviceInfoRequest({ iotId: pump.iotId, ...wrong }));
        expect(info.body.data?.iotId).toBe(pump.iotId);
        const status = await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: pump.iotId, ...wrong }));
        expect(status.body.data?.status).toBe('ONLINE');
        const byName = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: '', ...wrong }));
        expect(byName.body.data?.iotId).toBe(valve.iotId);
      });
    });
  });
}
