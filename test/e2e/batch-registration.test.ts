import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Scope } from '../../src/domain/account/account-service.js';
import { iot, popClient, sdkClient, type Credentials, type SignatureMode } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

// fleet-api §4.2–§4.7 and states.md §6, through the official clients.

const LONG = { method: 'POST', timeout: 120_000 } as const;

interface PopCheck {
  Data: {
    ApplyId: number;
    InvalidDeviceNameList: { InvalidDeviceName: string[] };
    InvalidDeviceNicknameList: { InvalidDeviceNickname: string[] };
    RepeatedDeviceNameList: { RepeatDevieNameList: string[] };
    InvalidDetailList: { InvalidDetailList: { DeviceName: string; NickName?: string; ErrorMsg: string }[] };
  };
}
interface PopStatus {
  Data: {
    Status: string;
    ValidList: { Name: string[] };
    InvalidList: { Name: string[] };
    InvalidDetailList: { invalidDetailList: { DeviceName: string; NickName?: string; ErrorMsg: string }[] };
  };
}
interface PopPage {
  Page: number;
  PageSize: number;
  PageCount: number;
  Total: number;
  ApplyDeviceList: { ApplyDeviceInfo: { DeviceName: string; DeviceSecret: string; IotId: string; DeviceId: string }[] };
}

for (const dialect of testDialects()) {
  describe(`batch registration (${dialect})`, () => {
    let server: TestServer;
    let scope: Scope;
    let productCounter = 0;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      const accounts = server.service.services.accounts;
      const key = await accounts.resolveKey(server.key.accessKeyId);
      scope = (await accounts.resolveScope(key!.accountId, undefined))!;
    });
    afterAll(async () => {
      await server?.stop();
    });

    const pop = (key: Credentials = server.key) => popClient(server.url, key);
    const call = async <T>(action: string, params: Record<string, unknown>, key?: Credentials): Promise<T> =>
      (await pop(key).request(action, params, LONG)) as T;
    const sdk = (mode: SignatureMode = 'v3', key: Credentials = server.key) => sdkClient(server.endpoint, key, mode);
    const devices = () => server.service.services.devices;

    async function newProduct(key: Credentials = server.key): Promise<string> {
      const name = `batch_${++productCounter}_${Date.now() % 1_000_000}`;
      const created = await call<{ ProductKey: string }>('CreateProduct', { ProductName: name, NodeType: 0 }, key);
      return created.ProductKey;
    }
    const check = (params: Record<string, unknown>) => call<PopCheck>('BatchCheckDeviceNames', params);
    const status = (productKey: string, applyId: number | string) =>
      call<PopStatus>('QueryBatchRegisterDeviceStatus', { ProductKey: productKey, ApplyId: applyId });
    const page = (applyId: number | string, extra: Record<string, unknown> = {}) => call<PopPage>('QueryPageByApplyId', { ApplyId: applyId, ...extra });
    const register = (productKey: string, applyId: number | string) =>
      call<{ Data: { ApplyId: number } }>('BatchRegisterDeviceWithApplyId', { ProductKey: productKey, ApplyId: applyId });
    const forceStatus = (applyId: number, to: 'CHECK' | 'CREATE') =>
      server.service.storage.db.updateTable('device_apply').set({ status: to }).where('apply_id', '=', applyId).execute();

    for (const mode of ['v3', 'v2'] as const) {
      it(`registers chosen names end to end through the SDK (${mode})`, async () => {
        const client = sdk(mode);
        const productKey = await newProduct();
        const wanted = [
          { deviceName: `${mode}-pump-01`, deviceNickname: 'north_pump' },
          { deviceName: `${mode}-pump-02`, deviceNickname: '水泵二号' },
          { deviceName: `${mode}-pump-03` },
        ];
        const checked = await client.batchCheckDeviceNames(
          new iot.BatchCheckDeviceNamesRequest({
            productKey,
            deviceNameList: wanted.map((w) => new iot.BatchCheckDeviceNamesRequestDeviceNameList(w)),
          }),
        );
        expect(checked.body.success).toBe(true);
        const applyId = checked.body.data!.applyId!;
        expect(Number.isSafeInteger(applyId) && applyId > 0).toBe(true);
        expect(checked.body.data?.invalidDeviceNameList?.invalidDeviceName).toEqual([]);
        expect(checked.body.data?.invalidDeviceNicknameList?.invalidDeviceNickname).toEqual([]);

        const checkedStatus = await client.queryBatchRegisterDeviceStatus(new iot.QueryBatchRegisterDeviceStatusRequest({ productKey, applyId }));
        expect(checkedStatus.body.data).toMatchObject({ status: 'CHECK_SUCCESS', validList: { name: [] }, invalidList: { name: [] } });
        const before = await client.queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId }));
        expect(before.body).toMatchObject({ success: true, page: 1, pageSize: 10, pageCount: 0, total: 0, applyDeviceList: { applyDeviceInfo: [] } });

        const created = await client.batchRegisterDeviceWithApplyId(new iot.BatchRegisterDeviceWithApplyIdRequest({ productKey, applyId }));
        expect(created.body.success).toBe(true);
        expect(created.body.data?.applyId).toBe(applyId);
        const createdStatus = await client.queryBatchRegisterDeviceStatus(new iot.QueryBatchRegisterDeviceStatusRequest({ productKey, applyId }));
        expect(createdStatus.body.data).toMatchObject({ status: 'CREATE_SUCCESS', validList: { name: [] }, invalidList: { name: [] } });

        const listed = await client.queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId, currentPage: 1, pageSize: 10 }));
        expect(listed.body).toMatchObject({ page: 1, pageSize: 10, pageCount: 1, total: 3 });
        const infos = listed.body.applyDeviceList!.applyDeviceInfo!;
        expect(infos.map((d) => d.deviceName)).toEqual(wanted.map((w) => w.deviceName));
        for (const [i, info] of infos.entries()) {
          expect(info.deviceSecret).toMatch(/^[A-Za-z0-9]{32}$/);
          expect(info.iotId).toMatch(/^[A-Za-z0-9]{20}000100$/);
          expect(info.deviceId).toBe(info.iotId!.slice(0, 20));
          const byName = await devices().getDevice(scope, { productKey, deviceName: info.deviceName });
          expect(byName).toMatchObject({ iotId: info.iotId, deviceSecret: info.deviceSecret, status: 'UNACTIVE', nickname: wanted[i]!.deviceNickname });
          const byIotId = await devices().getDevice(scope, { iotId: info.iotId });
          expect(byIotId.deviceName).toBe(info.deviceName);
        }
      });

      it(`registers generated names end to end through the SDK (${mode})`, async () => {
        const client = sdk(mode);
        const productKey = await newProduct();
        const first = await client.batchRegisterDevice(new iot.BatchRegisterDeviceRequest({ productKey, count: 23 }));
        expect(first.body.success).toBe(true);
        const applyId = first.body.data!.applyId!;
        const st = await client.queryBatchRegisterDeviceStatus(new iot.QueryBatchRegisterDeviceStatusRequest({ productKey, applyId }));
        expect(st.body.data).toMatchObject({ status: 'CREATE_SUCCESS', validList: { name: [] }, invalidList: { name: [] } });

        const all: string[] = [];
        for (const currentPage of [1, 2, 3]) {
          const p = await client.queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId, currentPage, pageSize: 10 }));
          expect(p.body).toMatchObject({ page: currentPage, pageSize: 10, pageCount: 3, total: 23 });
          const infos = p.body.applyDeviceList!.applyDeviceInfo!;
          expect(infos).toHaveLength(currentPage < 3 ? 10 : 3);
          for (const info of infos) {
            expect(info.deviceName).toMatch(/^[A-Za-z0-9]{20}$/);
            const d = await devices().getDevice(scope, { productKey, deviceName: info.deviceName });
            expect(d).toMatchObject({ iotId: info.iotId, deviceSecret: info.deviceSecret, status: 'UNACTIVE' });
            expect(d.nickname).toBeUndefined();
            all.push(info.deviceName!);
          }
        }
        expect(new Set(all).size).toBe(23);

        const second = await client.batchRegisterDevice(new iot.BatchRegisterDeviceRequest({ productKey, count: 1 }));
        expect(second.body.data!.applyId!).toBeGreaterThan(applyId);
        const product = await client.queryProduct(new iot.QueryProductRequest({ productKey }));
        expect(product.body.data?.deviceCount).toBe(24);
      });
    }

    it('runs both flows through POP POST', async () => {
      const productKey = await newProduct();
      const checked = await check({ ProductKey: productKey, DeviceName: ['pop-a-001', 'pop-a-002'] });
      const applyId = checked.Data.ApplyId;
      expect((await status(productKey, applyId)).Data.Status).toBe('CHECK_SUCCESS');
      expect((await register(productKey, applyId)).Data.ApplyId).toBe(applyId);
      const listed = await page(applyId);
      expect(listed.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName)).toEqual(['pop-a-001', 'pop-a-002']);
      const device = await devices().getDevice(scope, { productKey, deviceName: 'pop-a-002' });
      expect(device.deviceSecret).toBe(listed.ApplyDeviceList.ApplyDeviceInfo[1]!.DeviceSecret);

      const generated = await call<{ Data: { ApplyId: number } }>('BatchRegisterDevice', { ProductKey: productKey, Count: 5 });
      expect(generated.Data.ApplyId).toBeGreaterThan(applyId);
      const generatedStatus = await status(productKey, generated.Data.ApplyId);
      expect(generatedStatus.Data).toEqual({
        Status: 'CREATE_SUCCESS',
        ValidList: { Name: [] },
        InvalidList: { Name: [] },
        InvalidDetailList: { invalidDetailList: [] },
      });
      const generatedPage = await page(generated.Data.ApplyId, { PageSize: 50 });
      expect(generatedPage).toMatchObject({ Page: 1, PageSize: 50, PageCount: 1, Total: 5 });
      for (const info of generatedPage.ApplyDeviceList.ApplyDeviceInfo) {
        expect((await devices().getDevice(scope, { iotId: info.IotId })).deviceName).toBe(info.DeviceName);
      }
    });

    it('reports the invalid entries of the §4.3 example in the exact answer structure, and §4.6 after', async () => {
      const productKey = await newProduct();
      await call('RegisterDevice', { ProductKey: productKey, DeviceName: 'pump-0001' });
      const entries = [
        { DeviceName: 'x!' },
        { DeviceName: 'pump-0001' },
        { DeviceName: 'pump-0106' },
        { DeviceName: 'pump-0107' },
        { DeviceName: 'pump-0107' },
        { DeviceName: 'pump-0108', DeviceNickname: 'ab' },
      ];
      const checked = await check({ ProductKey: productKey, DeviceNameList: entries });
      expect(checked.Data).toEqual({
        ApplyId: checked.Data.ApplyId,
        InvalidDeviceNameList: { InvalidDeviceName: ['x!', 'pump-0001', 'pump-0107'] },
        InvalidDeviceNicknameList: { InvalidDeviceNickname: ['ab'] },
        RepeatedDeviceNameList: { RepeatDevieNameList: ['pump-0107'] },
        InvalidDetailList: {
          InvalidDetailList: [
            { DeviceName: 'x!', ErrorMsg: 'The device name is illegal.' },
            { DeviceName: 'pump-0001', ErrorMsg: 'The device name already exists.' },
            { DeviceName: 'pump-0108', NickName: 'ab', ErrorMsg: 'The nick name is illegal.' },
            { DeviceName: 'pump-0107', ErrorMsg: 'The device name is repeated.' },
          ],
        },
      });
      const st = await status(productKey, checked.Data.ApplyId);
      expect(st.Data).toEqual({
        Status: 'CHECK_FAILED',
        ValidList: { Name: ['pump-0106'] },
        InvalidList: { Name: ['x!', 'pump-0001', 'pump-0107', 'pump-0108'] },
        InvalidDetailList: {
          invalidDetailList: [
            { DeviceName: 'x!', ErrorMsg: 'The device name is illegal.' },
            { DeviceName: 'pump-0001', ErrorMsg: 'The device name already exists.' },
            { DeviceName: 'pump-0107', ErrorMsg: 'The device name is repeated.' },
            { DeviceName: 'pump-0108', NickName: 'ab', ErrorMsg: 'The nick name is illegal.' },
          ],
        },
      });
      // CHECK_FAILED is final: nothing can be created from it.
      await expect(register(productKey, checked.Data.ApplyId)).rejects.toMatchObject({ code: 'iot.device.IncorrentDeviceApplyInfo' });
      expect((await page(checked.Data.ApplyId)).Total).toBe(0);
      await expect(devices().getDevice(scope, { productKey, deviceName: 'pump-0106' })).rejects.toMatchObject({ code: 'iot.device.NotExistedDevice' });

      // The SDK casts the same answer (it drops the two META-only lists).
      const viaSdk = await sdk().batchCheckDeviceNames(
        new iot.BatchCheckDeviceNamesRequest({
          productKey,
          deviceNameList: entries.map((e) => new iot.BatchCheckDeviceNamesRequestDeviceNameList({ deviceName: e.DeviceName, deviceNickname: e.DeviceNickname })),
        }),
      );
      expect(viaSdk.body.data?.invalidDeviceNameList?.invalidDeviceName).toEqual(['x!', 'pump-0001', 'pump-0107']);
      expect(viaSdk.body.data?.invalidDeviceNicknameList?.invalidDeviceNickname).toEqual(['ab']);
      expect(viaSdk.body.data?.applyId).toBeGreaterThan(checked.Data.ApplyId);
      const sdkStatus = await sdk('v2').queryBatchRegisterDeviceStatus(
        new iot.QueryBatchRegisterDeviceStatusRequest({ productKey, applyId: viaSdk.body.data!.applyId! }),
      );
      expect(sdkStatus.body.data).toMatchObject({
        status: 'CHECK_FAILED',
        validList: { name: ['pump-0106'] },
        invalidList: { name: ['x!', 'pump-0001', 'pump-0107', 'pump-0108'] },
      });
    });

    it('checks every name and nickname rule (§2.5) and joins several reasons', async () => {
      const productKey = await newProduct();
      await call('RegisterDevice', { ProductKey: productKey, DeviceName: 'taken-1' });
      const long65 = 'n'.repeat(65);
      const checked = await check({
        ProductKey: productKey,
        DeviceNameList: [
          { DeviceName: 'abc' }, // 3 characters
          { DeviceName: 'a'.repeat(33) },
          { DeviceName: 'b'.repeat(32) }, // 32 is the maximum
          { DeviceName: 'ok-name-1', DeviceNickname: 'has space' },
          { DeviceName: 'ok-name-2', DeviceNickname: long65 },
          { DeviceName: 'ok-name-3', DeviceNickname: '水泵一号' }, // 4 CJK characters count 8
          { DeviceName: 'ok-name-4', DeviceNickname: 'ab中' }, // 2 + 2 = 4, the minimum
          { DeviceName: 'ok-name-5', DeviceNickname: '中' }, // counts 2: too short
          { DeviceName: 'bad!name' },
          { DeviceName: 'bad!name' },
          { DeviceName: 'taken-1', DeviceNickname: 'bad nick' },
          { DeviceName: 'Taken-1' }, // names compare case-sensitively
          { DeviceName: 'a-_@.:b' },
          { DeviceName: 'ok-name-6', DeviceNickname: '' }, // an empty nickname is no nickname
          { DeviceNickname: 'orphan_nickname' }, // no name: ignored
          { DeviceName: 'dup-1', DeviceNickname: 'dup_one' },
          { DeviceName: 'dup-1', DeviceNickname: 'x' },
        ],
      });
      expect(checked.Data.InvalidDeviceNameList.InvalidDeviceName).toEqual(['abc', 'a'.repeat(33), 'bad!name', 'taken-1', 'dup-1']);
      expect(checked.Data.InvalidDeviceNicknameList.InvalidDeviceNickname).toEqual(['has space', long65, '中', 'bad nick', 'x']);
      expect(checked.Data.RepeatedDeviceNameList.RepeatDevieNameList).toEqual(['bad!name', 'dup-1']);
      expect(checked.Data.InvalidDetailList.InvalidDetailList).toEqual([
        { DeviceName: 'abc', ErrorMsg: 'The device name is illegal.' },
        { DeviceName: 'a'.repeat(33), ErrorMsg: 'The device name is illegal.' },
        { DeviceName: 'ok-name-1', NickName: 'has space', ErrorMsg: 'The nick name is illegal.' },
        { DeviceName: 'ok-name-2', NickName: long65, ErrorMsg: 'The nick name is illegal.' },
        { DeviceName: 'ok-name-5', NickName: '中', ErrorMsg: 'The nick name is illegal.' },
        { DeviceName: 'bad!name', ErrorMsg: 'The device name is illegal.|The device name is repeated.' },
        { DeviceName: 'taken-1', NickName: 'bad nick', ErrorMsg: 'The device name already exists.|The nick name is illegal.' },
        { DeviceName: 'dup-1', NickName: 'x', ErrorMsg: 'The nick name is illegal.|The device name is repeated.' },
      ]);
      const st = await status(productKey, checked.Data.ApplyId);
      expect(st.Data.Status).toBe('CHECK_FAILED');
      expect(st.Data.ValidList.Name).toEqual(['b'.repeat(32), 'ok-name-3', 'ok-name-4', 'Taken-1', 'a-_@.:b', 'ok-name-6']);
      expect(st.Data.InvalidList.Name).toEqual(['abc', 'a'.repeat(33), 'ok-name-1', 'ok-name-2', 'ok-name-5', 'bad!name', 'taken-1', 'dup-1']);

      // The valid ones alone pass, and their nicknames arrive on the devices.
      const valid = await check({
        ProductKey: productKey,
        DeviceNameList: [{ DeviceName: 'ok-name-3', DeviceNickname: '水泵一号' }, { DeviceName: 'Taken-1' }, { DeviceName: 'a-_@.:b', DeviceNickname: 'ab中' }],
      });
      expect(valid.Data.InvalidDetailList.InvalidDetailList).toEqual([]);
      await register(productKey, valid.Data.ApplyId);
      expect((await devices().getDevice(scope, { productKey, deviceName: 'ok-name-3' })).nickname).toBe('水泵一号');
      expect((await devices().getDevice(scope, { productKey, deviceName: 'a-_@.:b' })).nickname).toBe('ab中');
      expect((await devices().getDevice(scope, { productKey, deviceName: 'Taken-1' })).nickname).toBeUndefined();
    });

    it('prefers DeviceNameList, refuses empty lists and checks ProductKey', async () => {
      const productKey = await newProduct();
      const both = await check({ ProductKey: productKey, DeviceName: ['plain-1', 'plain-2'], DeviceNameList: [{ DeviceName: 'listed-1' }] });
      await register(productKey, both.Data.ApplyId);
      expect((await page(both.Data.ApplyId)).ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName)).toEqual(['listed-1']);
      await expect(devices().getDevice(scope, { productKey, deviceName: 'plain-1' })).rejects.toMatchObject({ code: 'iot.device.NotExistedDevice' });

      const none = 'iot.device.NoneDeviceNameElement';
      await expect(check({ ProductKey: productKey })).rejects.toMatchObject({ code: none });
      await expect(check({ ProductKey: productKey, DeviceName: ['', ''] })).rejects.toMatchObject({ code: none });
      await expect(check({ ProductKey: productKey, DeviceNameList: [{ DeviceName: '' }] })).rejects.toMatchObject({ code: none });
      const viaSdk = await sdk().batchCheckDeviceNames(new iot.BatchCheckDeviceNamesRequest({ productKey }));
      expect(viaSdk.body).toMatchObject({ success: false, code: none });

      await expect(check({ DeviceName: ['some-name'] })).rejects.toMatchObject({ code: 'MissingProductKey' });
      await expect(check({ ProductKey: '', DeviceName: ['some-name'] })).rejects.toMatchObject({ code: 'iot.prod.NullProductKey' });
      await expect(check({ ProductKey: 'a1-bad', DeviceName: ['some-name'] })).rejects.toMatchObject({ code: 'iot.prod.InvalidFormattedProductkey' });
      await expect(check({ ProductKey: 'a1NoSuchOne', DeviceName: ['some-name'] })).rejects.toMatchObject({ code: 'iot.prod.NotExistedProduct' });
      // A scalar DeviceName is not a repeat list.
      await expect(check({ ProductKey: productKey, DeviceName: 'some-name' })).rejects.toMatchObject({ code: 'InvalidParameter' });
    });

    it('answers every state of the §4.4 table', async () => {
      const productKey = await newProduct();
      const otherProductKey = await newProduct();
      const fresh = async (names: string[]) => (await check({ ProductKey: productKey, DeviceName: names })).Data.ApplyId;

      // unknown
      await expect(register(productKey, 987_654_321)).rejects.toMatchObject({ code: 'iot.device.DeviceApplyIsNotFound' });
      // another product's
      const applyId = await fresh(['state-1', 'state-2']);
      await expect(register(otherProductKey, applyId)).rejects.toMatchObject({ code: 'iot.device.IncorrentDeviceApplyInfo' });
      await expect(status(otherProductKey, applyId)).rejects.toMatchObject({ code: 'iot.device.IncorrentDeviceApplyInfo' });
      // CHECK_FAILED
      const failed = await fresh(['state-3', 'state-3']);
      await expect(register(productKey, failed)).rejects.toMatchObject({ code: 'iot.device.IncorrentDeviceApplyInfo' });
      // CHECK and CREATE, still running (Flotilla never leaves them, an asynchronous implementation would)
      for (const running of ['CHECK', 'CREATE'] as const) {
        const id = await fresh([`running-${running}`]);
        await forceStatus(id, running);
        await expect(register(productKey, id)).rejects.toMatchObject({ code: 'iot.device.CreateDeviceTaskIsRunning' });
        expect((await status(productKey, id)).Data).toEqual({
          Status: running,
          ValidList: { Name: [] },
          InvalidList: { Name: [] },
          InvalidDetailList: { invalidDetailList: [] },
        });
        expect((await page(id)).Total).toBe(0);
        await expect(devices().getDevice(scope, { productKey, deviceName: `running-${running}` })).rejects.toMatchObject({
          code: 'iot.device.NotExistedDevice',
        });
      }
      // CHECK_SUCCESS creates; CREATE_SUCCESS answers success again and creates nothing twice
      expect((await register(productKey, applyId)).Data.ApplyId).toBe(applyId);
      const first = await page(applyId);
      const again = await sdk('v2').batchRegisterDeviceWithApplyId(new iot.BatchRegisterDeviceWithApplyIdRequest({ productKey, applyId }));
      expect(again.body).toMatchObject({ success: true, data: { applyId } });
      expect((await register(productKey, applyId)).Data.ApplyId).toBe(applyId);
      expect((await page(applyId)).ApplyDeviceList).toEqual(first.ApplyDeviceList);
      expect((await status(productKey, applyId)).Data.Status).toBe('CREATE_SUCCESS');
      const product = await call<{ Data: { DeviceCount: number } }>('QueryProduct', { ProductKey: productKey });
      expect(product.Data.DeviceCount).toBe(2);

      // ApplyId format
      await expect(register(productKey, 'abc')).rejects.toMatchObject({ code: 'iot.device.InvalidFormattedApplyId' });
      await expect(register(productKey, '0')).rejects.toMatchObject({ code: 'iot.device.InvalidFormattedApplyId' });
      await expect(register(productKey, '-5')).rejects.toMatchObject({ code: 'iot.device.InvalidFormattedApplyId' });
      await expect(register(productKey, '')).rejects.toMatchObject({ code: 'iot.device.NullApplyId' });
      await expect(call('BatchRegisterDeviceWithApplyId', { ProductKey: productKey })).rejects.toMatchObject({ code: 'MissingApplyId' });
      await expect(register('', applyId)).rejects.toMatchObject({ code: 'iot.prod.NullProductKey' });
      await expect(register('a1NoSuchOne', applyId)).rejects.toMatchObject({ code: 'iot.prod.NotExistedProduct' });
    });

    it('creates the free names when some were taken meanwhile (CREATE_FAILED), and a retry creates nothing twice', async () => {
      const productKey = await newProduct();
      const checked = await check({
        ProductKey: productKey,
        DeviceNameList: [{ DeviceName: 'part-a' }, { DeviceName: 'part-b', DeviceNickname: 'second_one' }, { DeviceName: 'part-c' }],
      });
      const applyId = checked.Data.ApplyId;
      const meanwhile = await call<{ Data: { IotId: string } }>('RegisterDevice', { ProductKey: productKey, DeviceName: 'part-b' });
      expect((await register(productKey, applyId)).Data.ApplyId).toBe(applyId);

      const st = await status(productKey, applyId);
      expect(st.Data).toEqual({
        Status: 'CREATE_FAILED',
        ValidList: { Name: ['part-a', 'part-c'] },
        InvalidList: { Name: ['part-b'] },
        InvalidDetailList: { invalidDetailList: [{ DeviceName: 'part-b', NickName: 'second_one', ErrorMsg: 'The device name already exists.' }] },
      });
      const sdkStatus = await sdk().queryBatchRegisterDeviceStatus(new iot.QueryBatchRegisterDeviceStatusRequest({ productKey, applyId }));
      expect(sdkStatus.body.data).toMatchObject({ status: 'CREATE_FAILED', validList: { name: ['part-a', 'part-c'] }, invalidList: { name: ['part-b'] } });

      const listed = await page(applyId);
      expect(listed.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName)).toEqual(['part-a', 'part-c']);
      const b = await devices().getDevice(scope, { productKey, deviceName: 'part-b' });
      expect(b.iotId).toBe(meanwhile.Data.IotId);
      expect(b.nickname).toBeUndefined();

      expect((await register(productKey, applyId)).Data.ApplyId).toBe(applyId);
      expect((await page(applyId)).ApplyDeviceList).toEqual(listed.ApplyDeviceList);
      expect((await status(productKey, applyId)).Data.Status).toBe('CREATE_FAILED');
      const product = await call<{ Data: { DeviceCount: number } }>('QueryProduct', { ProductKey: productKey });
      expect(product.Data.DeviceCount).toBe(3);
    });

    it('creates each name once when BatchRegisterDeviceWithApplyId calls race (states.md I16)', async () => {
      const productKey = await newProduct();
      const names = Array.from({ length: 300 }, (_, i) => `race-${String(i).padStart(3, '0')}`);
      const applyId = (await check({ ProductKey: productKey, DeviceName: names })).Data.ApplyId;
      const answers = await Promise.all([1, 2, 3, 4].map(() => register(productKey, applyId)));
      expect(answers.map((a) => a.Data.ApplyId)).toEqual([applyId, applyId, applyId, applyId]);
      expect((await status(productKey, applyId)).Data.Status).toBe('CREATE_SUCCESS');
      expect((await page(applyId, { PageSize: 50 })).Total).toBe(300);
      const product = await call<{ Data: { DeviceCount: number } }>('QueryProduct', { ProductKey: productKey });
      expect(product.Data.DeviceCount).toBe(300);
    });

    it('checks BatchRegisterDevice Count and QueryBatchRegisterDeviceStatus parameters', async () => {
      const productKey = await newProduct();
      const count = (value: unknown) => call('BatchRegisterDevice', { ProductKey: productKey, Count: value });
      await expect(count(10_001)).rejects.toMatchObject({ code: 'iot.device.DeviceCountExceeded' });
      await expect(count(0)).rejects.toMatchObject({ code: 'iot.system.IllegalRequest' });
      await expect(count(-1)).rejects.toMatchObject({ code: 'iot.system.IllegalRequest' });
      await expect(count('many')).rejects.toMatchObject({ code: 'InvalidParameter' });
      await expect(call('BatchRegisterDevice', { ProductKey: productKey })).rejects.toMatchObject({ code: 'MissingCount' });
      await expect(call('BatchRegisterDevice', { ProductKey: 'a1NoSuchOne', Count: 1 })).rejects.toMatchObject({ code: 'iot.prod.NotExistedProduct' });
      const sdkAnswer = await sdk().batchRegisterDevice(new iot.BatchRegisterDeviceRequest({ productKey, count: 10_001 }));
      expect(sdkAnswer.body).toMatchObject({ success: false, code: 'iot.device.DeviceCountExceeded' });
      const product = await call<{ Data: { DeviceCount: number } }>('QueryProduct', { ProductKey: productKey });
      expect(product.Data.DeviceCount).toBe(0);

      await expect(status(productKey, 987_654_321)).rejects.toMatchObject({ code: 'iot.device.DeviceApplyIsNotFound' });
      await expect(status(productKey, 'x1')).rejects.toMatchObject({ code: 'iot.device.InvalidFormattedApplyId' });
      await expect(status('', 1)).rejects.toMatchObject({ code: 'iot.prod.NullProductKey' });
      await expect(call('QueryBatchRegisterDeviceStatus', { ProductKey: productKey })).rejects.toMatchObject({ code: 'MissingApplyId' });
    });

    it('pages QueryPageByApplyId', async () => {
      const productKey = await newProduct();
      const applyId = (await call<{ Data: { ApplyId: number } }>('BatchRegisterDevice', { ProductKey: productKey, Count: 23 })).Data.ApplyId;
      const whole = await page(applyId, { PageSize: 50 });
      expect(whole).toMatchObject({ Page: 1, PageSize: 50, PageCount: 1, Total: 23 });
      const names = whole.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName);
      expect(new Set(names).size).toBe(23);

      const byDefault = await page(applyId);
      expect(byDefault).toMatchObject({ Page: 1, PageSize: 10, PageCount: 3, Total: 23 });
      const pieces: string[] = [];
      for (let p = 1; p <= 5; p++) {
        const got = await page(applyId, { CurrentPage: p, PageSize: 5 });
        expect(got).toMatchObject({ Page: p, PageSize: 5, PageCount: 5, Total: 23 });
        pieces.push(...got.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName));
      }
      expect(pieces).toEqual(names);
      const past = await page(applyId, { CurrentPage: 6, PageSize: 5 });
      expect(past).toMatchObject({ Page: 6, PageSize: 5, PageCount: 5, Total: 23, ApplyDeviceList: { ApplyDeviceInfo: [] } });

      await expect(page(applyId, { PageSize: 51 })).rejects.toMatchObject({ code: 'iot.common.InvalidPageParams' });
      await expect(page(applyId, { CurrentPage: 0 })).rejects.toMatchObject({ code: 'iot.common.InvalidPageParams' });
      await expect(page(applyId, { PageSize: 0 })).rejects.toMatchObject({ code: 'iot.common.InvalidPageParams' });
      await expect(page(987_654_321)).rejects.toMatchObject({ code: 'iot.device.DeviceApplyIsNotFound' });
      await expect(page('x')).rejects.toMatchObject({ code: 'iot.device.InvalidFormattedApplyId' });
      await expect(call('QueryPageByApplyId', {})).rejects.toMatchObject({ code: 'MissingApplyId' });
      const viaSdk = await sdk('v2').queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId, currentPage: 3, pageSize: 10 }));
      expect(viaSdk.body.applyDeviceList?.applyDeviceInfo?.map((d) => d.deviceName)).toEqual(names.slice(20));

      // Devices deleted since are left out (fleet-api §4.7); deletion is a soft delete (deleted_at).
      await server.service.storage.db
        .updateTable('device')
        .set({ deleted_at: Date.now() })
        .where('iot_id', '=', whole.ApplyDeviceList.ApplyDeviceInfo[4]!.IotId)
        .execute();
      const afterDelete = await page(applyId, { PageSize: 50 });
      expect(afterDelete).toMatchObject({ Total: 22, PageCount: 1 });
      expect(afterDelete.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName)).toEqual(names.filter((_, i) => i !== 4));
      // The name is free again for a new application.
      const again = await check({ ProductKey: productKey, DeviceName: [names[4]!, names[5]!] });
      expect(again.Data.InvalidDeviceNameList.InvalidDeviceName).toEqual([names[5]]);
      expect(again.Data.InvalidDetailList.InvalidDetailList).toEqual([{ DeviceName: names[5], ErrorMsg: 'The device name already exists.' }]);
    });

    it("answers another account's ApplyId exactly like a missing one", async () => {
      const productKey = await newProduct();
      const applyId = (await check({ ProductKey: productKey, DeviceName: ['mine-1'] })).Data.ApplyId;
      const created = await server.service.services.accounts.createAccount('other tenant');
      const other = { accessKeyId: created.accessKeyId, accessKeySecret: created.accessKeySecret };
      const theirProduct = await newProduct(other);
      const never = applyId + 1_000_000;
      for (const id of [applyId, never]) {
        await expect(call('QueryPageByApplyId', { ApplyId: id }, other)).rejects.toMatchObject({ code: 'iot.device.DeviceApplyIsNotFound' });
        await expect(call('QueryBatchRegisterDeviceStatus', { ProductKey: theirProduct, ApplyId: id }, other)).rejects.toMatchObject({
          code: 'iot.device.DeviceApplyIsNotFound',
        });
        await expect(call('BatchRegisterDeviceWithApplyId', { ProductKey: theirProduct, ApplyId: id }, other)).rejects.toMatchObject({
          code: 'iot.device.DeviceApplyIsNotFound',
        });
      }
      const sdkAnswer = await sdk('v3', other).queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId }));
      expect(sdkAnswer.body).toMatchObject({ success: false, code: 'iot.device.DeviceApplyIsNotFound' });
      // Our product is theirs to no more than a missing one, and our application was left alone.
      await expect(call('BatchRegisterDeviceWithApplyId', { ProductKey: productKey, ApplyId: applyId }, other)).rejects.toMatchObject({
        code: 'iot.prod.NotExistedProduct',
      });
      expect((await status(productKey, applyId)).Data.Status).toBe('CHECK_SUCCESS');
    });

    it('takes 10,000 DeviceNameList entries with nicknames in a POP POST form body over 1 MiB', async () => {
      const productKey = await newProduct();
      const entries = Array.from({ length: 10_000 }, (_, i) => ({
        DeviceName: `form-${String(i + 1).padStart(5, '0')}-${'n'.repeat(21)}`,
        DeviceNickname: `nick_${String(i + 1).padStart(5, '0')}_${'k'.repeat(53)}`,
      }));
      const bodyBytes = entries.reduce(
        (n, e, i) => n + `&DeviceNameList.${i + 1}.DeviceName=${e.DeviceName}&DeviceNameList.${i + 1}.DeviceNickname=${e.DeviceNickname}`.length,
        0,
      );
      expect(bodyBytes).toBeGreaterThan(1024 * 1024);

      const checked = await check({ ProductKey: productKey, DeviceNameList: entries });
      expect(checked.Data.InvalidDetailList.InvalidDetailList).toEqual([]);
      expect((await status(productKey, checked.Data.ApplyId)).Data.Status).toBe('CHECK_SUCCESS');
      await register(productKey, checked.Data.ApplyId);
      expect((await status(productKey, checked.Data.ApplyId)).Data.Status).toBe('CREATE_SUCCESS');

      const last = await page(checked.Data.ApplyId, { CurrentPage: 200, PageSize: 50 });
      expect(last).toMatchObject({ Page: 200, PageSize: 50, PageCount: 200, Total: 10_000 });
      expect(last.ApplyDeviceList.ApplyDeviceInfo.map((d) => d.DeviceName)).toEqual(entries.slice(9_950).map((e) => e.DeviceName));
      const lastInfo = last.ApplyDeviceList.ApplyDeviceInfo[49]!;
      const device = await devices().getDevice(scope, { productKey, deviceName: entries[9_999]!.DeviceName });
      expect(device).toMatchObject({ iotId: lastInfo.IotId, deviceSecret: lastInfo.DeviceSecret, nickname: entries[9_999]!.DeviceNickname });
    }, 120_000);

    it('keeps the first 10,000 of 10,001 names sent by the SDK in a long query string', async () => {
      const productKey = await newProduct();
      const names = Array.from({ length: 10_001 }, (_, i) => `sdk-bulk-${String(i + 1).padStart(5, '0')}`);
      const client = sdk('v3');
      // Creating 10,000 devices inside the call can outlast the helper's 5 s socket timeout on a busy machine.
      const slow = { connectTimeout: 120_000, readTimeout: 120_000 } as Parameters<typeof client.batchCheckDeviceNamesWithOptions>[1];
      const checked = await client.batchCheckDeviceNamesWithOptions(new iot.BatchCheckDeviceNamesRequest({ productKey, deviceName: names }), slow);
      expect(checked.body.success).toBe(true);
      const applyId = checked.body.data!.applyId!;
      expect(checked.body.data?.invalidDeviceNameList?.invalidDeviceName).toEqual([]);
      const created = await client.batchRegisterDeviceWithApplyIdWithOptions(new iot.BatchRegisterDeviceWithApplyIdRequest({ productKey, applyId }), slow);
      expect(created.body.success).toBe(true);

      const last = await client.queryPageByApplyId(new iot.QueryPageByApplyIdRequest({ applyId, currentPage: 200, pageSize: 50 }));
      expect(last.body).toMatchObject({ total: 10_000, pageCount: 200 });
      expect(last.body.applyDeviceList?.applyDeviceInfo?.map((d) => d.deviceName)).toEqual(names.slice(9_950, 10_000));
      expect((await devices().getDevice(scope, { productKey, deviceName: names[9_999]! })).status).toBe('UNACTIVE');
      await expect(devices().getDevice(scope, { productKey, deviceName: names[10_000]! })).rejects.toMatchObject({
        code: 'iot.device.NotExistedDevice',
      });
      const product = await client.queryProduct(new iot.QueryProductRequest({ productKey }));
      expect(product.body.data?.deviceCount).toBe(10_000);
    }, 120_000);
  });
}
