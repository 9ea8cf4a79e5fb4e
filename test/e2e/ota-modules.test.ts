import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CreatedAccount } from '../../src/domain/account/account-service.js';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { codeOf, createProduct, pinnableClock, registerDevice, setModuleVersion } from '../support/device-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

// ota-api §1.8 and §5: module operations and the implicit `default` module.

// Well-formed (fleet-api §2.1) but never issued.
const NEVER_ISSUED = 'a1Zz9Yy8Xx7';
const MINUTE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/;

type Sdk = ReturnType<typeof sdkClient>;
type Pop = ReturnType<typeof popClient>;
interface WireModule {
  ModuleName: string;
  ProductKey: string;
  AliasName?: string;
  Desc?: string;
  GmtCreate: string;
  GmtModified: string;
}

const failureOf = (body: { success?: boolean; code?: string; errorMessage?: string }) => ({
  success: body.success,
  code: body.code,
  errorMessage: body.errorMessage,
});

for (const dialect of testDialects()) {
  describe(`OTA modules (${dialect})`, () => {
    const clock = pinnableClock();
    let server: TestServer;
    let sdk: Sdk;
    let pop: Pop;
    let bob: CreatedAccount;
    let serial = 0;

    beforeAll(async () => {
      server = await startTestServer(dialect, { clock });
      sdk = sdkClient(server.endpoint, server.key, 'v3');
      pop = popClient(server.url, server.key);
      bob = await server.service.services.accounts.createAccount('bob');
    });
    afterAll(async () => {
      await server?.stop();
    });

    const newProduct = () => createProduct(sdk, `ota_module_${++serial}`);
    const create = (client: Sdk, productKey: string, moduleName: string, extra: { aliasName?: string; desc?: string } = {}) =>
      client.createOTAModule(new iot.CreateOTAModuleRequest({ productKey, moduleName, ...extra }));
    const update = (client: Sdk, productKey: string, moduleName: string, extra: { aliasName?: string; desc?: string } = {}) =>
      client.updateOTAModule(new iot.UpdateOTAModuleRequest({ productKey, moduleName, ...extra }));
    const remove = (client: Sdk, productKey: string, moduleName: string) =>
      client.deleteOTAModule(new iot.DeleteOTAModuleRequest({ productKey, moduleName }));
    const list = (client: Sdk, productKey: string) => client.listOTAModuleByProduct(new iot.ListOTAModuleByProductRequest({ productKey }));
    const rawList = async (productKey: string) =>
      ((await pop.request('ListOTAModuleByProduct', { ProductKey: productKey })) as { Data: WireModule[] }).Data;
    const names = async (productKey: string) => (await rawList(productKey)).map((m) => m.ModuleName);
    const productRow = (productKey: string) =>
      server.service.storage.db.selectFrom('product').selectAll().where('product_key', '=', productKey).executeTakeFirstOrThrow();

    for (const mode of ['v3', 'v2'] as const) {
      it(`creates, lists, updates and deletes a module with the SDK (${mode})`, async () => {
        const client = sdkClient(server.endpoint, server.key, mode);
        const productKey = await newProduct();
        const empty = await list(client, productKey);
        expect(empty.body.success).toBe(true);
        expect(empty.body.data?.map((m) => m.moduleName)).toEqual(['default']);

        const created = await create(client, productKey, 'barcodeScanner', { aliasName: 'Barcode_scanner', desc: 'Firmware of the barcode scanner' });
        expect(created.body).toMatchObject({ success: true });
        expect(created.body.code).toBeUndefined();
        const listed = await list(client, productKey);
        expect(listed.body.data).toHaveLength(2);
        expect(listed.body.data?.[1]).toMatchObject({
          moduleName: 'barcodeScanner',
          productKey,
          aliasName: 'Barcode_scanner',
          desc: 'Firmware of the barcode scanner',
        });
        expect(listed.body.data?.[1]?.gmtCreate).toMatch(MINUTE);
        expect(listed.body.data?.[1]?.gmtModified).toMatch(MINUTE);

        // Absent keeps, empty clears (ota-api §5.2); any case of the name finds the module.
        expect((await update(client, productKey, 'BARCODESCANNER', { aliasName: '扫码器_1' })).body.success).toBe(true);
        let scanner = (await list(client, productKey)).body.data?.[1];
        expect(scanner).toMatchObject({ moduleName: 'barcodeScanner', aliasName: '扫码器_1', desc: 'Firmware of the barcode scanner' });
        expect((await update(client, productKey, 'barcodescanner', { desc: '' })).body.success).toBe(true);
        scanner = (await list(client, productKey)).body.data?.[1];
        expect(scanner?.aliasName).toBe('扫码器_1');
        expect(scanner?.desc).toBeUndefined();

        expect((await remove(client, productKey, 'BarcodeScanner')).body.success).toBe(true);
        expect((await list(client, productKey)).body.data?.map((m) => m.moduleName)).toEqual(['default']);
        expect(codeOf(await remove(client, productKey, 'barcodeScanner'))).toBe('iot.ota.InvalidOtaModuleName');
        expect(codeOf(await update(client, productKey, 'barcodeScanner', { aliasName: 'x' }))).toBe('iot.ota.InvalidOtaModuleName');
      });
    }

    it('answers the documented wire shape: bare Data array, default first, absent fields omitted, minute times', async () => {
      const t0 = Math.floor(Date.now() / 60_000) * 60_000 - 120_000 + 15_000;
      clock.pin(t0);
      const productKey = await newProduct();
      await create(sdk, productKey, 'wifi');
      clock.pin(t0 + 1_000);
      await create(sdk, productKey, 'Modem', { aliasName: 'modem', desc: 'LTE modem' });
      clock.pin(t0 + 61_000);
      await update(sdk, productKey, 'modem', { desc: 'LTE modem v2' });
      clock.unpin();

      const res = (await pop.request('ListOTAModuleByProduct', { ProductKey: productKey })) as Record<string, unknown>;
      expect(Object.keys(res).sort()).toEqual(['Data', 'RequestId', 'Success']);
      const minute = (ms: number) => new Date(ms).toISOString().slice(0, 16) + 'Z';
      expect(res.Data).toEqual([
        { ModuleName: 'default', ProductKey: productKey, GmtCreate: minute(t0), GmtModified: minute(t0) },
        { ModuleName: 'wifi', ProductKey: productKey, GmtCreate: minute(t0), GmtModified: minute(t0) },
        { ModuleName: 'Modem', ProductKey: productKey, AliasName: 'modem', Desc: 'LTE modem v2', GmtCreate: minute(t0), GmtModified: minute(t0 + 60_000) },
      ]);
    });

    it('enforces POST-only and GET-only methods (ota-api §1.1)', async () => {
      const productKey = await newProduct();
      for (const action of ['CreateOTAModule', 'UpdateOTAModule', 'DeleteOTAModule']) {
        await expect(pop.request(action, { ProductKey: productKey, ModuleName: 'wifi' }, { method: 'GET' })).rejects.toMatchObject({
          code: 'UnsupportedHTTPMethod',
        });
      }
      await expect(pop.request('ListOTAModuleByProduct', { ProductKey: productKey }, { method: 'POST' })).rejects.toMatchObject({
        code: 'UnsupportedHTTPMethod',
      });
      // Nothing was created by the refused GET.
      expect(await names(productKey)).toEqual(['default']);
      await pop.request('CreateOTAModule', { ProductKey: productKey, ModuleName: 'wifi', AliasName: 'Wi-Fi', Desc: 'radio' }, { method: 'POST' });
      await pop.request('UpdateOTAModule', { ProductKey: productKey, ModuleName: 'WIFI', AliasName: 'WiFi' }, { method: 'POST' });
      expect((await rawList(productKey))[1]).toMatchObject({ ModuleName: 'wifi', AliasName: 'WiFi', Desc: 'radio' });
      await pop.request('DeleteOTAModule', { ProductKey: productKey, ModuleName: 'wifi' }, { method: 'POST' });
      expect(await names(productKey)).toEqual(['default']);
    });

    it('checks names, aliases, descriptions and the product, with their codes', async () => {
      const productKey = await newProduct();
      const codeOfCreate = async (moduleName: string, extra: { aliasName?: string; desc?: string } = {}, key = productKey) =>
        codeOf(await create(sdk, key, moduleName, extra));
      expect(await codeOfCreate('')).toBe('iot.ota.NullOtaModuleName');
      for (const bad of ['a b', 'a/b', 'modul€', 'x'.repeat(65), '扫码器']) expect(await codeOfCreate(bad)).toBe('iot.ota.InvalidOtaModuleName');
      for (const reserved of ['default', 'DEFAULT', 'Default']) expect(await codeOfCreate(reserved)).toBe('iot.system.IllegalRequest');
      expect(await codeOfCreate('m1', { aliasName: 'x'.repeat(65) })).toBe('iot.system.IllegalRequest');
      expect(await codeOfCreate('m1', { aliasName: 'has space' })).toBe('iot.system.IllegalRequest');
      expect(await codeOfCreate('m1', { aliasName: 'bang!' })).toBe('iot.system.IllegalRequest');
      expect(await codeOfCreate('m1', { desc: 'd'.repeat(101) })).toBe('iot.system.IllegalRequest');
      expect(await codeOfCreate('m1', {}, '')).toBe('iot.prod.NullProductKey');
      expect(await codeOfCreate('m1', {}, 'bad-key')).toBe('iot.prod.InvalidFormattedProductkey');
      expect(await codeOfCreate('m1', {}, NEVER_ISSUED)).toBe('iot.prod.NotExistedProduct');
      expect(await names(productKey)).toEqual(['default']);

      // The limits themselves are accepted: 64-character name, 64-character alias (CJK counts 1), 100-character desc.
      const longName = 'A.b-C_' + 'z'.repeat(58);
      expect((await create(sdk, productKey, longName, { aliasName: '模'.repeat(64), desc: '述'.repeat(100) })).body.success).toBe(true);
      expect((await create(sdk, productKey, 'm2', { aliasName: 'a.B-c_9', desc: 'd'.repeat(100) })).body.success).toBe(true);
      // An empty alias or description on create is no value.
      expect((await create(sdk, productKey, 'm3', { aliasName: '', desc: '' })).body.success).toBe(true);
      const listed = await rawList(productKey);
      expect(listed.map((m) => m.ModuleName)).toEqual(['default', longName, 'm2', 'm3']);
      expect(listed[1]).toMatchObject({ AliasName: '模'.repeat(64), Desc: '述'.repeat(100) });
      expect(listed[3]).not.toHaveProperty('AliasName');
      expect(listed[3]).not.toHaveProperty('Desc');

      // Update and delete apply the same rules.
      expect(codeOf(await update(sdk, productKey, '', { aliasName: 'a' }))).toBe('iot.ota.NullOtaModuleName');
      expect(codeOf(await update(sdk, productKey, 'a b', { aliasName: 'a' }))).toBe('iot.ota.InvalidOtaModuleName');
      expect(codeOf(await update(sdk, productKey, 'm2', { aliasName: 'x'.repeat(65) }))).toBe('iot.system.IllegalRequest');
      expect(codeOf(await update(sdk, productKey, 'm2', { desc: 'd'.repeat(101) }))).toBe('iot.system.IllegalRequest');
      expect(codeOf(await update(sdk, NEVER_ISSUED, 'm2', { desc: 'x' }))).toBe('iot.prod.NotExistedProduct');
      expect(codeOf(await remove(sdk, productKey, ''))).toBe('iot.ota.NullOtaModuleName');
      expect(codeOf(await remove(sdk, productKey, 'a/b'))).toBe('iot.ota.InvalidOtaModuleName');
      expect(codeOf(await remove(sdk, '', 'm2'))).toBe('iot.prod.NullProductKey');
      expect(codeOf(await list(sdk, ''))).toBe('iot.prod.NullProductKey');
      expect(codeOf(await list(sdk, 'bad-key'))).toBe('iot.prod.InvalidFormattedProductkey');
      expect(codeOf(await list(sdk, NEVER_ISSUED))).toBe('iot.prod.NotExistedProduct');
      expect((await rawList(productKey))[2]).toMatchObject({ ModuleName: 'm2', AliasName: 'a.B-c_9', Desc: 'd'.repeat(100) });

      // Absent required parameters are gateway errors (rpc-protocol §9.3).
      await expect(pop.request('CreateOTAModule', { ProductKey: productKey }, { method: 'POST' })).rejects.toMatchObject({ code: 'MissingModuleName' });
      await expect(pop.request('UpdateOTAModule', { ModuleName: 'm2' }, { method: 'POST' })).rejects.toMatchObject({ code: 'MissingProductKey' });
      await expect(pop.request('DeleteOTAModule', { ProductKey: productKey }, { method: 'POST' })).rejects.toMatchObject({ code: 'MissingModuleName' });
      await expect(pop.request('ListOTAModuleByProduct', {})).rejects.toMatchObject({ code: 'MissingProductKey' });
    });

    it('keeps names unique per product case-insensitively, with the case as created', async () => {
      const productKey = await newProduct();
      const other = await newProduct();
      expect((await create(sdk, productKey, 'Scanner')).body.success).toBe(true);
      for (const taken of ['Scanner', 'scanner', 'SCANNER']) {
        const res = await create(sdk, productKey, taken);
        expect(codeOf(res)).toBe('iot.system.IllegalRequest');
      }
      // Another product may use the name.
      expect((await create(sdk, other, 'scanner')).body.success).toBe(true);
      expect(await names(productKey)).toEqual(['default', 'Scanner']);
      expect(await names(other)).toEqual(['default', 'scanner']);
      const product = await productRow(productKey);
      const modules = server.service.services.otaModules;
      expect(await modules.requireModule(product.id, 'SCANNER')).toBe('Scanner');
      expect(await modules.requireModule(product.id, undefined)).toBe('default');
      expect(await modules.requireModule(product.id, 'Default')).toBe('default');
      await expect(modules.requireModule(product.id, '')).rejects.toMatchObject({ code: 'iot.ota.NullOtaModuleName' });
      await expect(modules.requireModule(product.id, 'no such')).rejects.toMatchObject({ code: 'iot.ota.InvalidOtaModuleName' });
      await expect(modules.requireModule(product.id, 'camera')).rejects.toMatchObject({ code: 'iot.ota.InvalidOtaModuleName' });
    });

    it('allows 10 custom modules per product, also under concurrent creates; default does not count', async () => {
      const productKey = await newProduct();
      // A stored row for `default` (alias) must not use up a place.
      expect((await update(sdk, productKey, 'default', { aliasName: 'main' })).body.success).toBe(true);
      const results = await Promise.all(Array.from({ length: 13 }, (_, i) => create(sdk, productKey, `mod${String(i).padStart(2, '0')}`)));
      expect(results.filter((r) => r.body.success === true)).toHaveLength(10);
      for (const r of results.filter((x) => x.body.success !== true)) expect(r.body.code).toBe('iot.system.IllegalRequest');
      const listed = await names(productKey);
      expect(listed).toHaveLength(11);
      expect(listed[0]).toBe('default');
      expect(codeOf(await create(sdk, productKey, 'eleventh'))).toBe('iot.system.IllegalRequest');
      expect((await remove(sdk, productKey, listed[5]!)).body.success).toBe(true);
      expect((await create(sdk, productKey, 'eleventh')).body.success).toBe(true);
      expect(await names(productKey)).toHaveLength(11);
    });

    it('refuses to delete a module while firmware of it exists', async () => {
      const productKey = await newProduct();
      const other = await newProduct();
      await create(sdk, productKey, 'Camera');
      await create(sdk, productKey, 'radio');
      await create(sdk, other, 'radio');
      const product = await productRow(productKey);
      const otherProduct = await productRow(other);
      const now = Date.now();
      const firmware = (id: string, productId: string, moduleName: string) => ({
        firmware_id: id,
        account_id: product.account_id,
        instance_id: product.instance_id,
        product_id: productId,
        module_name: moduleName,
        firmware_name: `fw_${id}`,
        firmware_desc: null,
        type: 0,
        src_version: null,
        dest_version: '1.0.0',
        sign_method: 'MD5' as const,
        status: -1,
        verify_progress: 0,
        udi: null,
        multi_file: 0,
        created_at: now,
        modified_at: now,
      });
      const db = server.service.storage.db;
      await db.insertInto('firmware').values([firmware(`cam${serial}`, product.id, 'Camera'), firmware(`rad${serial}`, otherProduct.id, 'radio')]).execute();
      for (const spelling of ['Camera', 'camera']) expect(codeOf(await remove(sdk, productKey, spelling))).toBe('iot.system.IllegalRequest');
      expect(await names(productKey)).toEqual(['default', 'Camera', 'radio']);
      // Firmware of the same module name in another product does not hold this one.
      expect((await remove(sdk, productKey, 'radio')).body.success).toBe(true);
      expect(codeOf(await remove(sdk, other, 'radio'))).toBe('iot.system.IllegalRequest');
      await db.deleteFrom('firmware').where('firmware_id', '=', `cam${serial}`).execute();
      expect((await remove(sdk, productKey, 'Camera')).body.success).toBe(true);
      expect(await names(productKey)).toEqual(['default']);
    });

    it('keeps the default module: never created, deleted or renamed, but it may carry an alias and a description', async () => {
      const productKey = await newProduct();
      for (const spelling of ['default', 'DEFAULT']) {
        expect(codeOf(await create(sdk, productKey, spelling))).toBe('iot.system.IllegalRequest');
        expect(codeOf(await remove(sdk, productKey, spelling))).toBe('iot.system.IllegalRequest');
      }
      const before = (await rawList(productKey))[0];
      // An update without fields changes nothing.
      expect((await update(sdk, productKey, 'default')).body.success).toBe(true);
      expect((await rawList(productKey))[0]).toEqual(before);
      expect((await update(sdk, productKey, 'Default', { aliasName: 'main_board', desc: 'whole firmware' })).body.success).toBe(true);
      expect((await update(sdk, productKey, 'default', { desc: 'whole device firmware' })).body.success).toBe(true);
      const listed = await rawList(productKey);
      expect(listed).toHaveLength(1);
      expect(listed[0]).toEqual({ ...before, AliasName: 'main_board', Desc: 'whole device firmware', GmtModified: listed[0]!.GmtModified });
      expect(codeOf(await remove(sdk, productKey, 'default'))).toBe('iot.system.IllegalRequest');
      expect((await update(sdk, productKey, 'default', { aliasName: '', desc: '' })).body.success).toBe(true);
      const cleared = (await rawList(productKey))[0]!;
      expect(cleared).toEqual({ ...before, GmtModified: cleared.GmtModified });
    });

    describe('ListOTAModuleVersionsByDevice', () => {
      let productKey: string;
      let iotId: string;
      let quietIotId: string;
      const versions = (req: Partial<Record<'iotId' | 'productKey' | 'deviceName', string>> & { pageSize?: number; currentPage?: number }, client = sdk) =>
        client.listOTAModuleVersionsByDevice(new iot.ListOTAModuleVersionsByDeviceRequest({ pageSize: 10, currentPage: 1, ...req }));

      beforeAll(async () => {
        productKey = await newProduct();
        iotId = (await registerDevice(sdk, productKey, 'scanner-01')).iotId;
        quietIotId = (await registerDevice(sdk, productKey, 'scanner-02')).iotId;
        // Written as the MQTT side will write them (device-protocol §4.1); `zeta` stands for a deleted module.
        const reported: [string, string][] = [['wifi', '3.1'], ['default', '1.6940.1'], ['barcode', '1.0'], ['zeta', '0.9'], ['modem', '2.2']];
        for (const [module, version] of reported) {
          await setModuleVersion(server, iotId, module, version);
        }
      });

      for (const mode of ['v3', 'v2'] as const) {
        it(`pages through the reported versions, default first (${mode})`, async () => {
          const client = sdkClient(server.endpoint, server.key, mode);
          const page1 = await versions({ iotId, pageSize: 2, currentPage: 1 }, client);
          expect(page1.body).toMatchObject({ success: true, total: 5, pageSize: 2, pageCount: 3, currentPage: 1 });
          expect(page1.body.data?.simpleOTAModuleInfo).toEqual([
            { productKey, deviceName: 'scanner-01', iotId, moduleName: 'default', moduleVersion: '1.6940.1' },
            { productKey, deviceName: 'scanner-01', iotId, moduleName: 'barcode', moduleVersion: '1.0' },
          ]);
          const all: string[] = [];
          for (let page = 1; page <= 3; page++) {
            const res = await versions({ productKey, deviceName: 'scanner-01', pageSize: 2, currentPage: page }, client);
            all.push(...res.body.data!.simpleOTAModuleInfo!.map((m) => `${m.moduleName}=${m.moduleVersion}`));
          }
          expect(all).toEqual(['default=1.6940.1', 'barcode=1.0', 'modem=2.2', 'wifi=3.1', 'zeta=0.9']);
          const past = await versions({ iotId, pageSize: 2, currentPage: 4 }, client);
          expect(past.body).toMatchObject({ success: true, total: 5, pageCount: 3, currentPage: 4 });
          expect(past.body.data?.simpleOTAModuleInfo).toEqual([]);
        });
      }

      it('answers the wire shape, counters at the top level, empty list as an array', async () => {
        const raw = (await pop.request('ListOTAModuleVersionsByDevice', { IotId: quietIotId, PageSize: 200, CurrentPage: 1 })) as Record<string, unknown>;
        expect(raw).toEqual({
          RequestId: raw.RequestId,
          Success: true,
          Total: 0,
          PageSize: 200,
          PageCount: 0,
          CurrentPage: 1,
          Data: { SimpleOTAModuleInfo: [] },
        });
        const one = (await pop.request('ListOTAModuleVersionsByDevice', { IotId: iotId, PageSize: 1, CurrentPage: 5 }, { method: 'POST' })) as {
          Data: { SimpleOTAModuleInfo: unknown[] };
          PageCount: number;
        };
        expect(one.PageCount).toBe(5);
        expect(one.Data.SimpleOTAModuleInfo).toEqual([{ ProductKey: productKey, DeviceName: 'scanner-01', IotId: iotId, ModuleName: 'zeta', ModuleVersion: '0.9' }]);
      });

      it('checks the page parameters', async () => {
        for (const [pageSize, currentPage] of [[0, 1], [201, 1], [10, 0], [10, -1], [200, 501]]) {
          expect(codeOf(await versions({ iotId, pageSize, currentPage }))).toBe('iot.common.InvalidPageParams');
        }
        await expect(pop.request('ListOTAModuleVersionsByDevice', { IotId: iotId, CurrentPage: 1 })).rejects.toMatchObject({ code: 'MissingPageSize' });
        await expect(pop.request('ListOTAModuleVersionsByDevice', { IotId: iotId, PageSize: 10 })).rejects.toMatchObject({ code: 'MissingCurrentPage' });
        await expect(pop.request('ListOTAModuleVersionsByDevice', { IotId: iotId, PageSize: 'ten', CurrentPage: 1 })).rejects.toMatchObject({
          code: 'InvalidParameter',
        });
      });

      it('names the device by IotId (which wins) or ProductKey + DeviceName, with the documented codes', async () => {
        const byIotId = await versions({ iotId, productKey: NEVER_ISSUED, deviceName: 'nobody-here' });
        expect(byIotId.body.total).toBe(5);
        expect(codeOf(await versions({}))).toBe('iot.ota.EmptyDeviceInfoParams');
        expect(codeOf(await versions({ iotId: '', productKey: '', deviceName: '' }))).toBe('iot.ota.EmptyDeviceInfoParams');
        expect(codeOf(await versions({ productKey }))).toBe('iot.ota.EmptyDeviceInfoParams');
        expect(codeOf(await versions({ deviceName: 'scanner-01' }))).toBe('iot.ota.EmptyDeviceInfoParams');
        expect(codeOf(await versions({ iotId: 'not/valid' }))).toBe('iot.device.InvalidIoTId');
        expect(codeOf(await versions({ iotId: 'Qj1FTabcd0001010000000' }))).toBe('iot.device.NotExistedDevice');
        expect(codeOf(await versions({ productKey: NEVER_ISSUED, deviceName: 'scanner-01' }))).toBe('iot.prod.NotExistedProduct');
        expect(codeOf(await versions({ productKey: 'bad-key', deviceName: 'scanner-01' }))).toBe('iot.prod.InvalidFormattedProductkey');
        expect(codeOf(await versions({ productKey, deviceName: 'scanner-99' }))).toBe('iot.device.NotExistedDevice');
        expect(codeOf(await versions({ productKey, deviceName: 'x' }))).toBe('iot.device.InvalidFormattedDeviceName');
      });

      it('answers another account exactly as for a missing product or device', async () => {
        const asBob = sdkClient(server.endpoint, bob, 'v3');
        const foreign = await versions({ iotId }, asBob);
        const missing = await versions({ iotId: 'Qj1FTabcd0001010000000' }, asBob);
        expect(failureOf(foreign.body)).toEqual(failureOf(missing.body));
        expect(foreign.body.code).toBe('iot.device.NotExistedDevice');
        const foreignByName = await versions({ productKey, deviceName: 'scanner-01' }, asBob);
        const missingByName = await versions({ productKey: NEVER_ISSUED, deviceName: 'scanner-01' }, asBob);
        expect(failureOf(foreignByName.body)).toEqual(failureOf(missingByName.body));
        expect(foreignByName.body.code).toBe('iot.prod.NotExistedProduct');
      });
    });

    it('answers another account’s product exactly like a missing one', async () => {
      const productKey = await newProduct();
      await create(sdk, productKey, 'wifi', { aliasName: 'radio' });
      const asBob = sdkClient(server.endpoint, bob, 'v2');
      type Body = { success?: boolean; code?: string; errorMessage?: string };
      const pairs: [Body, Body][] = [
        [(await create(asBob, productKey, 'camera')).body, (await create(asBob, NEVER_ISSUED, 'camera')).body],
        [(await update(asBob, productKey, 'wifi', { aliasName: 'stolen' })).body, (await update(asBob, NEVER_ISSUED, 'wifi', { aliasName: 'stolen' })).body],
        [(await remove(asBob, productKey, 'wifi')).body, (await remove(asBob, NEVER_ISSUED, 'wifi')).body],
        [(await list(asBob, productKey)).body, (await list(asBob, NEVER_ISSUED)).body],
      ];
      for (const [foreign, missing] of pairs) {
        expect(foreign.code).toBe('iot.prod.NotExistedProduct');
        expect(failureOf(foreign)).toEqual(failureOf(missing));
      }
      // Nothing changed for the owner.
      const listed = await rawList(productKey);
      expect(listed.map((m) => [m.ModuleName, m.AliasName])).toEqual([
        ['default', undefined],
        ['wifi', 'radio'],
      ]);
    });
  });
}
