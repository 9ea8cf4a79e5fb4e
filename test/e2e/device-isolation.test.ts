import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { type Registered, createProduct, registerDevice } from '../support/device-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Sdk = ReturnType<typeof sdkClient>;
type Body = { success?: boolean; code?: string } & Record<string, unknown>;

/** Every device operation of fleet-api §5–§6, called with a device (or its product) named in `ref`. */
function deviceOperations(client: Sdk) {
  type Ref = { iotId?: string; productKey?: string; deviceName?: string };
  const body = async (p: Promise<{ body: unknown }>) => (await p).body as Body;
  return {
    QueryDeviceDetail: (r: Ref) => body(client.queryDeviceDetail(new iot.QueryDeviceDetailRequest(r))),
    QueryDeviceInfo: (r: Ref) => body(client.queryDeviceInfo(new iot.QueryDeviceInfoRequest(r))),
    GetDeviceStatus: (r: Ref) => body(client.getDeviceStatus(new iot.GetDeviceStatusRequest(r))),
    DisableThing: (r: Ref) => body(client.disableThing(new iot.DisableThingRequest(r))),
    EnableThing: (r: Ref) => body(client.enableThing(new iot.EnableThingRequest(r))),
    DeleteDevice: (r: Ref) => body(client.deleteDevice(new iot.DeleteDeviceRequest(r))),
    QueryDevice: (r: Ref) => body(client.queryDevice(new iot.QueryDeviceRequest({ productKey: r.productKey }))),
    BatchQueryDeviceDetail: (r: Ref) =>
      body(client.batchQueryDeviceDetail(new iot.BatchQueryDeviceDetailRequest({ productKey: r.productKey, deviceName: [r.deviceName!] }))),
    'BatchGetDeviceState (names)': (r: Ref) =>
      body(client.batchGetDeviceState(new iot.BatchGetDeviceStateRequest({ productKey: r.productKey, deviceName: [r.deviceName!] }))),
    'BatchGetDeviceState (IotId)': (r: Ref) => body(client.batchGetDeviceState(new iot.BatchGetDeviceStateRequest({ iotId: [r.iotId!] }))),
    QueryDeviceByStatus: (r: Ref) => body(client.queryDeviceByStatus(new iot.QueryDeviceByStatusRequest({ status: 0, productKey: r.productKey }))),
  };
}

const OPERATIONS = [
  'QueryDeviceDetail',
  'QueryDeviceInfo',
  'GetDeviceStatus',
  'DisableThing',
  'EnableThing',
  'DeleteDevice',
  'QueryDevice',
  'BatchQueryDeviceDetail',
  'BatchGetDeviceState (names)',
  'BatchGetDeviceState (IotId)',
  'QueryDeviceByStatus',
] as const satisfies readonly (keyof ReturnType<typeof deviceOperations>)[];

/** Operations with no IotId form: they name (or filter by) a product. */
const BY_PRODUCT_ONLY = new Set<string>(['QueryDevice', 'BatchQueryDeviceDetail', 'QueryDeviceByStatus']);

/** What must be equal between "another account's device" and "no such device": all but the RequestId. */
const comparable = ({ requestId: _r, ...rest }: Body) => rest;

for (const dialect of testDialects()) {
  describe(`another account's devices answer like missing ones (${dialect})`, () => {
    let server: TestServer;
    let ours: Registered;
    let theirs: Sdk;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      const sdk = sdkClient(server.endpoint, server.key);
      ours = await registerDevice(sdk, await createProduct(sdk, 'Owned_Product'), 'owned-0001');
      const other = await server.service.services.accounts.createAccount('other');
      theirs = sdkClient(server.endpoint, { accessKeyId: other.accessKeyId, accessKeySecret: other.accessKeySecret });
      // The other account has a product and device of its own, so "missing" is not just "empty account".
      await registerDevice(theirs, await createProduct(theirs, 'Their_Product'), 'owned-0001');
    });
    afterAll(async () => {
      await server?.stop();
    });

    const missingById = { iotId: 'NoSuchDevice00000000000100' };
    const missingByName = { productKey: 'a1NoSuchOne', deviceName: 'owned-0001' };

    for (const action of OPERATIONS) {
      it(`${action}`, async () => {
        const op = deviceOperations(theirs)[action];
        if (!BY_PRODUCT_ONLY.has(action)) {
          const byIdForeign = comparable(await op({ iotId: ours.iotId }));
          const byIdMissing = comparable(await op(missingById));
          expect(byIdForeign).toEqual(byIdMissing);
        }
        if (action !== 'BatchGetDeviceState (IotId)') {
          const byNameForeign = comparable(await op({ productKey: ours.productKey, deviceName: ours.deviceName }));
          const byNameMissing = comparable(await op(missingByName));
          expect(byNameForeign).toEqual(byNameMissing);
        }
        // Nothing leaked through and nothing changed: the owner still sees the device as it was.
        const owner = deviceOperations(sdkClient(server.endpoint, server.key));
        expect(await owner.GetDeviceStatus({ iotId: ours.iotId })).toMatchObject({ success: true, data: { status: 'UNACTIVE' } });
      });
    }

    it('answers the codes of a missing device, not a success, for the single-device operations', async () => {
      const op = deviceOperations(theirs);
      for (const action of ['QueryDeviceDetail', 'QueryDeviceInfo', 'GetDeviceStatus', 'DisableThing', 'EnableThing', 'DeleteDevice'] as const) {
        expect((await op[action]({ iotId: ours.iotId })).code).toBe('iot.device.NotExistedDevice');
        expect((await op[action]({ productKey: ours.productKey, deviceName: ours.deviceName })).code).toBe('iot.prod.NotExistedProduct');
      }
      const status = await op.QueryDeviceByStatus({});
      expect(status).toMatchObject({ success: true, total: 1 });
      expect((status.data as { simpleDeviceInfo: { iotId: string }[] }).simpleDeviceInfo.map((d) => d.iotId)).not.toContain(ours.iotId);
    });
  });

  describe(`storage failures answer each operation's own code (${dialect})`, () => {
    let server: TestServer;
    let device: Registered;
    let sdk: Sdk;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      sdk = sdkClient(server.endpoint, server.key);
      device = await registerDevice(sdk, await createProduct(sdk, 'Broken_Product'), 'broken-0001');
      // A real storage failure: the device table disappears under the running service.
      await sql`ALTER TABLE device RENAME TO device_moved_away`.execute(server.service.storage.db);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('maps failures to the codes of fleet-api §5 and §6', async () => {
      const op = deviceOperations(sdk);
      const ref = { iotId: device.iotId, productKey: device.productKey, deviceName: device.deviceName };
      const expected: Record<keyof typeof op, string> = {
        QueryDeviceDetail: 'iot.common.QueryDeviceActionError',
        QueryDeviceInfo: 'iot.common.QueryDeviceActionError',
        GetDeviceStatus: 'iot.device.QueryDeviceStatusFailed',
        DisableThing: 'iot.device.DisableDeviceFailed',
        EnableThing: 'iot.device.EnableDeviceFailed',
        DeleteDevice: 'iot.device.DeleteDeviceFailed',
        QueryDevice: 'iot.device.QueryDeviceListActionError',
        QueryDeviceByStatus: 'iot.device.QueryDeviceListActionError',
        // §5.4 and §5.6 list no storage code: the generic one.
        BatchQueryDeviceDetail: 'iot.system.SystemException',
        'BatchGetDeviceState (names)': 'iot.system.SystemException',
        'BatchGetDeviceState (IotId)': 'iot.system.SystemException',
      };
      for (const [action, code] of Object.entries(expected)) {
        const res = await op[action as keyof typeof op](ref);
        expect({ action, success: res.success, code: res.code }).toEqual({ action, success: false, code });
      }
      // Business checks that need no device table still come first.
      expect((await op.QueryDeviceDetail({ iotId: 'bad-id!' })).code).toBe('iot.device.InvalidIoTId');
      expect((await op.QueryDevice({ productKey: 'a1NoSuchOne' })).code).toBe('iot.prod.NotExistedProduct');
    });
  });
}
