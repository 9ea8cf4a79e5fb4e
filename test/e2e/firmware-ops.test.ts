import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, popClient, sdkClient, type SignatureMode } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { filesUnder, issueUploadSlot, uploadFile } from '../support/oss-form.js';
import { startTestServer, type TestServer } from '../support/server.js';

type Client = ReturnType<typeof sdkClient>;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

for (const dialect of testDialects()) {
  describe(`firmware operations (${dialect})`, () => {
    let server: TestServer;
    let client: Client;
    let productKey: string;
    let productName: string;
    let seq = 0;
    const uniqueName = (base: string) => `${base}_${++seq}`;
    const objectRow = (key: string) => server.service.storage.db.selectFrom('stored_object').selectAll().where('object_key', '=', key).executeTakeFirst();
    const keyOf = (url: string) => url.slice(`${server.url}/oss/`.length);

    async function create(fields: ConstructorParameters<typeof iot.CreateOTAFirmwareRequest>[0], c: Client = client) {
      return (await c.createOTAFirmware(new iot.CreateOTAFirmwareRequest({ destVersion: '2.0.0', ...fields }))).body;
    }
    async function createOk(fields: ConstructorParameters<typeof iot.CreateOTAFirmwareRequest>[0], c: Client = client): Promise<string> {
      const body = await create({ firmwareName: uniqueName('fw'), ...fields }, c);
      expect(body, body.errorMessage).toMatchObject({ success: true });
      return body.data!.firmwareId!;
    }
    async function expectCode(fields: ConstructorParameters<typeof iot.CreateOTAFirmwareRequest>[0], code: string, message?: RegExp) {
      const body = await create({ firmwareName: uniqueName('bad'), ...fields });
      expect(body.success).toBe(false);
      expect(body.code).toBe(code);
      if (message) expect(body.errorMessage).toMatch(message);
      expect(body.data).toBeUndefined();
    }
    const upload = async (content: Buffer = randomBytes(2000), c: Client = client) => (await uploadFile(c, content)).firmwareUrl;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      client = sdkClient(server.endpoint, server.key);
      productName = `ota_prod_${Date.now() % 100000}`;
      const created = await client.createProduct(new iot.CreateProductRequest({ productName, nodeType: 0 }));
      productKey = created.body.productKey!;
      const module = await client.createOTAModule(new iot.CreateOTAModuleRequest({ productKey, moduleName: 'WifiModule' }));
      expect(module.body.success).toBe(true);
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const mode of ['v3', 'v2'] as const satisfies SignatureMode[]) {
      it(`upload → create → query → list → delete through the SDK (${mode})`, async () => {
        const c = sdkClient(server.endpoint, server.key, mode);
        const content = randomBytes(150_000);
        const slot = await uploadFile(c, content);
        const name = uniqueName(`pump_${mode}`);
        const created = await c.createOTAFirmware(
          new iot.CreateOTAFirmwareRequest({
            firmwareName: name,
            destVersion: '4.0.0',
            srcVersion: '1.0.0',
            productKey,
            firmwareUrl: slot.firmwareUrl,
            firmwareSign: md5(content).toUpperCase(),
            signMethod: 'md5',
            firmwareSize: content.length,
            firmwareDesc: 'modified WiFi module',
            moduleName: 'wifimodule',
            udi: '{"ota_notice":"fix blurred video"}',
          }),
        );
        expect(created.body.success).toBe(true);
        const firmwareId = created.body.data!.firmwareId!;
        expect(firmwareId).toMatch(/^[A-Za-z0-9]{26}$/);
        expect(created.body.data!.utcCreate).toMatch(ISO_MS);
        expect(await objectRow(slot.key)).toMatchObject({ claimed_by: firmwareId });

        const queried = await c.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }));
        expect(queried.body.success).toBe(true);
        const info = queried.body.firmwareInfo!;
        expect(info).toMatchObject({
          firmwareId,
          firmwareName: name,
          firmwareDesc: 'modified WiFi module',
          productKey,
          productName,
          moduleName: 'WifiModule',
          type: 0,
          srcVersion: '1.0.0',
          destVersion: '4.0.0',
          status: 0,
          verifyProgress: 0,
          signMethod: 'MD5',
          firmwareSign: md5(content),
          firmwareSize: content.length,
          udi: '{"ota_notice":"fix blurred video"}',
          utcCreate: created.body.data!.utcCreate,
          utcModified: created.body.data!.utcCreate,
        });
        expect(info.multiFiles).toBeUndefined();
        expect(info.firmwareUrl!.startsWith(`${server.url}/ota/download/`)).toBe(true);
        expect(new URL(info.firmwareUrl!).searchParams.get('Signature')).toBeTruthy();
        const download = await fetch(info.firmwareUrl!);
        expect(download.status).toBe(200);
        expect(Buffer.from(await download.arrayBuffer()).equals(content)).toBe(true);

        const list = await c.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage: 1, pageSize: 100, productKey }));
        const item = list.body.firmwareInfo!.simpleFirmwareInfo!.find((f) => f.firmwareId === firmwareId);
        expect(item).toEqual({
          firmwareId,
          firmwareName: name,
          firmwareDesc: 'modified WiFi module',
          productKey,
          productName,
          moduleName: 'WifiModule',
          type: 0,
          status: 0,
          srcVersion: '1.0.0',
          destVersion: '4.0.0',
          signMethod: 'MD5',
          firmwareSign: md5(content),
          firmwareSize: content.length,
          utcCreate: info.utcCreate,
          utcModified: info.utcModified,
        });

        const blobsBefore = filesUnder(join(server.dataDir, 'blobs')).length;
        const deleted = await c.deleteOTAFirmware(new iot.DeleteOTAFirmwareRequest({ firmwareId }));
        expect(deleted.body).toMatchObject({ success: true });
        expect(filesUnder(join(server.dataDir, 'blobs')).length).toBe(blobsBefore - 1);
        expect(await objectRow(slot.key)).toBeUndefined();
        const gone = await c.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }));
        expect(gone.body).toMatchObject({ success: false, code: 'iot.ota.FirmwareNotFound' });
        const again = await c.deleteOTAFirmware(new iot.DeleteOTAFirmwareRequest({ firmwareId }));
        expect(again.body).toMatchObject({ success: false, code: 'iot.ota.FirmwareNotFound' });
        expect((await fetch(info.firmwareUrl!)).status).toBe(403);
        // The name is free again.
        await createOk({ firmwareName: name, firmwareUrl: await upload() });
      });
    }

    it('SHA256 in any case, NeedToVerify=false → Status -1, digests computed when not declared', async () => {
      const content = randomBytes(5000);
      const firmwareId = await createOk({ firmwareUrl: await upload(content), signMethod: 'sha256', needToVerify: false });
      const info = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }))).body.firmwareInfo!;
      expect(info).toMatchObject({ signMethod: 'SHA256', firmwareSign: sha256(content), firmwareSize: 5000, status: -1, moduleName: 'default', type: 0 });
      expect(info.productKey).toBeUndefined();
      expect(info.productName).toBeUndefined();
      expect(info.srcVersion).toBeUndefined();
      const declared = await createOk({ firmwareUrl: await upload(content), signMethod: 'SHA256', firmwareSign: sha256(content).toUpperCase(), needToVerify: true });
      const status = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: declared }))).body.firmwareInfo!.status;
      expect(status).toBe(0);
      // POP reads Status as a JSON number: -1, not "-1" (ota-api §1.2).
      const pop = popClient(server.url, server.key);
      const raw = (await pop.request('QueryOTAFirmware', { FirmwareId: firmwareId }, { method: 'POST' })) as { FirmwareInfo: { Status: unknown } };
      expect(raw.FirmwareInfo.Status).toBe(-1);
    });

    it('multi-file packages: MultiFiles in Query, size sums in List, every file downloadable', async () => {
      const contents = [randomBytes(1000), randomBytes(2000), randomBytes(3000)];
      const urls: string[] = [];
      for (const content of contents) urls.push(await upload(content));
      const pop = popClient(server.url, server.key);
      const name = uniqueName('multi');
      const params: Record<string, string | number> = { FirmwareName: name, DestVersion: '3.1.0', ProductKey: productKey };
      contents.forEach((content, i) => {
        params[`MultiFiles.${i + 1}.Name`] = `part${i + 1}`;
        params[`MultiFiles.${i + 1}.Url`] = urls[i]!;
        params[`MultiFiles.${i + 1}.Size`] = content.length;
        params[`MultiFiles.${i + 1}.SignValue`] = md5(content);
        params[`MultiFiles.${i + 1}.FileMd5`] = md5(content);
      });
      const created = (await pop.request('CreateOTAFirmware', params, { method: 'POST' })) as { Data: { FirmwareId: string } };
      const firmwareId = created.Data.FirmwareId;
      const raw = (await pop.request('QueryOTAFirmware', { FirmwareId: firmwareId })) as { FirmwareInfo: Record<string, unknown> };
      expect(raw.FirmwareInfo.FirmwareUrl).toBeUndefined();
      expect(raw.FirmwareInfo.FirmwareSize).toBeUndefined();
      expect(raw.FirmwareInfo.FirmwareSign).toBeUndefined();
      const files = raw.FirmwareInfo.MultiFiles as { Name: string; Size: number; Url: string; SignValue: string; FileMd5: string }[];
      expect(files.map((f) => [f.Name, f.Size, f.SignValue, f.FileMd5])).toEqual(contents.map((c, i) => [`part${i + 1}`, c.length, md5(c), md5(c)]));
      for (const [i, file] of files.entries()) {
        expect(file.Url.startsWith(`${server.url}/ota/download/`)).toBe(true);
        expect(Buffer.from(await (await fetch(file.Url)).arrayBuffer()).equals(contents[i]!)).toBe(true);
      }
      // The SDK model has no FileMd5 but reads the rest.
      const sdk = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }))).body.firmwareInfo!;
      expect(sdk.multiFiles!.map((f) => f.name)).toEqual(['part1', 'part2', 'part3']);
      const list = await client.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage: 1, pageSize: 100, destVersion: '3.1.0' }));
      const item = list.body.firmwareInfo!.simpleFirmwareInfo!.find((f) => f.firmwareId === firmwareId)!;
      expect(item.firmwareSize).toBe(6000);
      expect(item.firmwareSign).toBeUndefined();

      // One element is still a multi-file package; the SDK sends MultiFiles.1.*.
      const one = await client.createOTAFirmware(
        new iot.CreateOTAFirmwareRequest({
          firmwareName: uniqueName('single_multi'),
          destVersion: '3.2.0',
          multiFiles: [new iot.CreateOTAFirmwareRequestMultiFiles({ name: 'only', url: await upload(contents[0]), size: 1000 })],
        }),
      );
      const oneInfo = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: one.body.data!.firmwareId! }))).body.firmwareInfo!;
      expect(oneInfo.multiFiles).toHaveLength(1);
      expect(oneInfo.firmwareUrl).toBeUndefined();
    });

    it('a declared sign or size that does not match the stored bytes is refused; the upload stays usable', async () => {
      const content = randomBytes(4096);
      const url = await upload(content);
      await expectCode({ firmwareUrl: url, firmwareSign: md5(Buffer.from('other')) }, 'iot.system.IllegalRequest', /FirmwareSign does not match/);
      await expectCode({ firmwareUrl: url, firmwareSize: 4095 }, 'iot.system.IllegalRequest', /FirmwareSize is 4095 but the uploaded file has 4096 bytes/);
      await expectCode({ firmwareUrl: url, signMethod: 'SHA256', firmwareSign: md5(content) }, 'iot.system.IllegalRequest', /64 hexadecimal/);
      await expectCode({ firmwareUrl: url, signMethod: 'SHA256', firmwareSign: sha256(Buffer.from('x')) }, 'iot.system.IllegalRequest', /SHA256/);
      await expectCode({ firmwareUrl: url, firmwareSign: 'not-hex' }, 'iot.system.IllegalRequest');
      const multi = (overrides: Partial<{ size: number; signValue: string }>) => ({
        multiFiles: [new iot.CreateOTAFirmwareRequestMultiFiles({ name: 'a', url, ...overrides })],
      });
      await expectCode(multi({ size: 1 }), 'iot.system.IllegalRequest', /MultiFiles\.1\.Size is 1/);
      await expectCode(multi({ signValue: md5(Buffer.from('x')) }), 'iot.system.IllegalRequest', /MultiFiles\.1\.SignValue does not match/);
      const pop = popClient(server.url, server.key);
      await expect(
        pop.request(
          'CreateOTAFirmware',
          { FirmwareName: uniqueName('md5'), DestVersion: '1.0', 'MultiFiles.1.Name': 'a', 'MultiFiles.1.Url': url, 'MultiFiles.1.FileMd5': md5(Buffer.from('y')) },
          { method: 'POST' },
        ),
      ).rejects.toMatchObject({ code: 'iot.system.IllegalRequest' });
      expect(await objectRow(keyOf(url))).toMatchObject({ claimed_by: null });
      await createOk({ firmwareUrl: url, firmwareSign: md5(content), firmwareSize: 4096 });
    });

    it('refuses URLs Flotilla did not issue, of another account, never uploaded, reused or of a device list', async () => {
      const other = await server.service.services.accounts.createAccount('firmware_other');
      const otherClient = sdkClient(server.endpoint, other);
      const foreign = await upload(randomBytes(100), otherClient);
      await expectCode({ firmwareUrl: foreign }, 'iot.system.IllegalRequest');
      expect(await objectRow(keyOf(foreign))).toMatchObject({ claimed_by: null });
      // …while its owner can use it
      await createOk({ firmwareUrl: foreign }, otherClient);

      await expectCode({ firmwareUrl: 'https://example.com/ota/firmware.bin' }, 'iot.system.IllegalRequest', /not issued/);
      await expectCode({ firmwareUrl: `${server.url}/ota/${'0'.repeat(32)}/x.bin` }, 'iot.system.IllegalRequest');
      const neverUploaded = await issueUploadSlot(client);
      await expectCode({ firmwareUrl: neverUploaded.firmwareUrl }, 'iot.system.IllegalRequest', /No file has been uploaded/);

      const used = await upload();
      await createOk({ firmwareUrl: used });
      await expectCode({ firmwareUrl: used }, 'iot.system.IllegalRequest', /already used/);
      await expectCode({ multiFiles: [new iot.CreateOTAFirmwareRequestMultiFiles({ name: 'a', url: used })] }, 'iot.system.IllegalRequest');

      const list = (await client.generateDeviceNameListURL(new iot.GenerateDeviceNameListURLRequest({}))).body.data!;
      const form = new FormData();
      for (const [k, v] of [['key', list.key!], ['OSSAccessKeyId', list.accessKeyId!], ['policy', list.policy!], ['Signature', list.signature!]]) form.append(k!, v!);
      form.append('file', new Blob(['pump-1\n']), 'names.csv');
      expect((await fetch(list.host!, { method: 'POST', body: form })).status).toBe(204);
      await expectCode({ firmwareUrl: list.fileUrl }, 'iot.system.IllegalRequest');

      // A query string (a signed URL's) is ignored.
      const content = randomBytes(300);
      const withQuery = `${await upload(content)}?Expires=1&Signature=x`;
      const id = await createOk({ firmwareUrl: withQuery });
      expect((await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: id }))).body.firmwareInfo!.firmwareSign).toBe(md5(content));
    });

    it('two creates racing for one uploaded file: exactly one wins', async () => {
      const url = await upload();
      const results = await Promise.all([1, 2, 3].map(() => create({ firmwareName: uniqueName('race'), firmwareUrl: url })));
      expect(results.filter((r) => r.success)).toHaveLength(1);
      for (const loser of results.filter((r) => !r.success)) expect(loser.code).toBe('iot.system.IllegalRequest');
      const winner = results.find((r) => r.success)!.data!.firmwareId;
      expect(await objectRow(keyOf(url))).toMatchObject({ claimed_by: winner });
    });

    it('file rules: FirmwareUrl required, not with MultiFiles; MultiFiles limits, names and duplicates', async () => {
      await expectCode({}, 'iot.check.NullParameter', /FirmwareUrl/);
      await expectCode({ firmwareUrl: '' }, 'iot.check.NullParameter');
      const url = await upload();
      const file = (name: string | undefined, u: string | undefined = url) => new iot.CreateOTAFirmwareRequestMultiFiles({ name, url: u });
      await expectCode({ firmwareUrl: url, multiFiles: [file('a')] }, 'iot.system.IllegalRequest', /cannot be combined/);
      await expectCode({ firmwareSign: md5(Buffer.from('x')), multiFiles: [file('a')] }, 'iot.system.IllegalRequest');
      await expectCode({ firmwareSize: 10, multiFiles: [file('a')] }, 'iot.system.IllegalRequest');
      await expectCode({ multiFiles: [file(undefined)] }, 'iot.check.NullParameter', /MultiFiles\.1\.Name/);
      await expectCode({ multiFiles: [file('a', '')] }, 'iot.check.NullParameter', /MultiFiles\.1\.Url/);
      await expectCode({ multiFiles: [file('n'.repeat(33))] }, 'iot.system.IllegalRequest', /at most 32/);
      const second = await upload();
      await expectCode({ multiFiles: [file('same'), file('same', second)] }, 'iot.system.IllegalRequest', /appears twice/);
      await expectCode({ multiFiles: [file('a'), file('b')] }, 'iot.system.IllegalRequest', /appears twice/);
      await expectCode({ multiFiles: [new iot.CreateOTAFirmwareRequestMultiFiles({ name: 'a', url, size: 0 })] }, 'iot.system.IllegalRequest');

      const urls: string[] = [];
      for (let i = 0; i < 21; i++) urls.push(await upload(randomBytes(10 + i)));
      await expectCode({ multiFiles: urls.map((u, i) => file(`f${i}`, u)) }, 'iot.system.IllegalRequest', /at most 20/);
      const twenty = await createOk({ multiFiles: urls.slice(0, 20).map((u, i) => file(`f${i}`, u)) });
      const info = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: twenty }))).body.firmwareInfo!;
      expect(info.multiFiles).toHaveLength(20);
      expect(new Set(info.multiFiles!.map((f) => new URL(f.url!).pathname)).size).toBe(20);
    });

    it('name rules and duplicates; description and Udi limits', async () => {
      const url = await upload();
      for (const bad of ['', '-starts-with-dash', '(paren)', 'has space', 'dot.name', 'x'.repeat(41)]) {
        const body = await create({ firmwareName: bad, firmwareUrl: url });
        expect(body.code, bad).toBe('iot.firmware.IncorrectFormattedFirmwareName');
      }
      const name = `固件(v1)_x-${seq}`;
      await createOk({ firmwareName: name, firmwareUrl: url });
      const dup = await create({ firmwareName: name, firmwareUrl: await upload() });
      expect(dup.code).toBe('iot.firmware.AlreadyExistedFirmwareName');
      await createOk({ firmwareName: `${'N'.repeat(36)}${String(seq).padStart(4, '0')}`, firmwareUrl: await upload() });

      await expectCode({ firmwareUrl: url, firmwareDesc: 'd'.repeat(101) }, 'iot.firmware.FirmwareDescExceedLimit');
      await expectCode({ firmwareUrl: url, udi: 'u'.repeat(4097) }, 'iot.firmware.FirmwareUdiExceedLimit');
      const id = await createOk({ firmwareUrl: await upload(), firmwareDesc: '描'.repeat(100), udi: 'u'.repeat(4096) });
      const info = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: id }))).body.firmwareInfo!;
      expect(info.firmwareDesc).toBe('描'.repeat(100));
      expect(info.udi).toHaveLength(4096);
    });

    it('Type, versions, SignMethod, product and module rules', async () => {
      const url = await upload();
      await expectCode({ firmwareUrl: url, type: 1 }, 'iot.check.NullParameter', /SrcVersion/);
      await expectCode({ firmwareUrl: url, type: 1, srcVersion: '' }, 'iot.check.NullParameter');
      await expectCode({ firmwareUrl: url, type: 1, srcVersion: '2.0.0' }, 'iot.system.IllegalRequest', /differ/);
      await expectCode({ firmwareUrl: url, type: 2 }, 'iot.system.IllegalRequest');
      await expectCode({ firmwareUrl: url, destVersion: 'v 1' }, 'iot.system.IllegalRequest', /DestVersion/);
      await expectCode({ firmwareUrl: url, type: 1, srcVersion: 'a/b' }, 'iot.system.IllegalRequest', /SrcVersion/);
      await expectCode({ firmwareUrl: url, signMethod: 'SHA1' }, 'iot.system.IllegalRequest', /SignMethod/);
      await expectCode({ firmwareUrl: url, productKey: 'a1NoSuchProd' }, 'iot.prod.NotExistedProduct');
      await expectCode({ firmwareUrl: url, productKey: 'bad key!' }, 'iot.prod.InvalidFormattedProductkey');
      await expectCode({ firmwareUrl: url, productKey, moduleName: '' }, 'iot.ota.NullOtaModuleName');
      await expectCode({ firmwareUrl: url, productKey, moduleName: 'bad name' }, 'iot.ota.InvalidOtaModuleName');
      await expectCode({ firmwareUrl: url, productKey, moduleName: 'NoSuchModule' }, 'iot.ota.InvalidOtaModuleName');
      await expectCode({ firmwareUrl: url, moduleName: 'WifiModule' }, 'iot.ota.InvalidOtaModuleName');
      await expect(client.createOTAFirmware(new iot.CreateOTAFirmwareRequest({ firmwareName: 'x', firmwareUrl: url }))).rejects.toMatchObject({
        code: 'MissingDestVersion',
      });
      expect(await objectRow(keyOf(url))).toMatchObject({ claimed_by: null });

      const delta = await createOk({ firmwareUrl: url, type: 1, srcVersion: '1.9.9', productKey, moduleName: 'DEFAULT' });
      const info = (await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: delta }))).body.firmwareInfo!;
      expect(info).toMatchObject({ type: 1, srcVersion: '1.9.9', destVersion: '2.0.0', moduleName: 'default', productKey });
    });

    it('another account cannot see, query or delete the firmware', async () => {
      const firmwareId = await createOk({ firmwareUrl: await upload(), productKey });
      const other = await server.service.services.accounts.createAccount('firmware_peer');
      const otherClient = sdkClient(server.endpoint, other);
      const q = await otherClient.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }));
      expect(q.body.code).toBe('iot.ota.FirmwareNotFound');
      const d = await otherClient.deleteOTAFirmware(new iot.DeleteOTAFirmwareRequest({ firmwareId }));
      expect(d.body.code).toBe('iot.ota.FirmwareNotFound');
      const l = await otherClient.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage: 1, pageSize: 100 }));
      expect(l.body).toMatchObject({ success: true, total: 0, pageCount: 0, firmwareInfo: { simpleFirmwareInfo: [] } });
      expect((await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId }))).body.success).toBe(true);
      const empty = await client.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: '' }));
      expect(empty.body.code).toBe('iot.ota.FirmwareNotFound');
    });

    it('ListOTAFirmware pages newest first, filters by product and version, checks page parameters', async () => {
      const product = await client.createProduct(new iot.CreateProductRequest({ productName: `paging_${Date.now() % 100000}`, nodeType: 0 }));
      const pk = product.body.productKey!;
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        ids.push(await createOk({ firmwareUrl: await upload(), productKey: pk, destVersion: i < 3 ? '9.0.0' : '9.1.0' }));
        await new Promise((r) => setTimeout(r, 5));
      }
      const newestFirst = [...ids].reverse();
      const page = async (currentPage: number, pageSize: number, extra: { destVersion?: string; productKey?: string } = {}) =>
        (await client.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage, pageSize, productKey: pk, ...extra }))).body;
      const pages = [await page(1, 2), await page(2, 2), await page(3, 2)];
      expect(pages.map((p) => p.firmwareInfo!.simpleFirmwareInfo!.map((f) => f.firmwareId)).flat()).toEqual(newestFirst);
      expect(pages[0]).toMatchObject({ total: 5, pageSize: 2, pageCount: 3, currentPage: 1 });
      expect(pages[2]).toMatchObject({ total: 5, pageSize: 2, pageCount: 3, currentPage: 3 });
      const past = await page(4, 2);
      expect(past).toMatchObject({ success: true, total: 5, pageCount: 3, currentPage: 4, firmwareInfo: { simpleFirmwareInfo: [] } });
      const version = await page(1, 10, { destVersion: '9.1.0' });
      expect(version.firmwareInfo!.simpleFirmwareInfo!.map((f) => f.firmwareId)).toEqual(newestFirst.slice(0, 2));
      expect(version.total).toBe(2);
      const unknown = await page(1, 10, { productKey: 'a1Unknown000' });
      expect(unknown).toMatchObject({ success: true, total: 0, firmwareInfo: { simpleFirmwareInfo: [] } });
      const all = (await client.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage: 1, pageSize: 100 }))).body;
      expect(all.total!).toBeGreaterThan(5);
      for (const [currentPage, pageSize] of [
        [1, 0],
        [1, 101],
        [0, 10],
        [1001, 100],
      ] as const) {
        expect((await client.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage, pageSize }))).body.code).toBe('iot.common.InvalidPageParams');
      }
      await expect(client.listOTAFirmware(new iot.ListOTAFirmwareRequest({ currentPage: 1 }))).rejects.toMatchObject({ code: 'MissingPageSize' });
    });
  });

  describe(`firmware limit per instance (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect, { env: { FLOTILLA_MAX_FIRMWARE_PER_INSTANCE: '2' } });
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('refuses the package beyond FLOTILLA_MAX_FIRMWARE_PER_INSTANCE and leaves its upload unclaimed', async () => {
      const client = sdkClient(server.endpoint, server.key);
      const createWith = async (name: string) => {
        const slot = await uploadFile(client, randomBytes(64));
        const res = await client.createOTAFirmware(new iot.CreateOTAFirmwareRequest({ firmwareName: name, destVersion: '1.0.0', firmwareUrl: slot.firmwareUrl }));
        return { body: res.body, slot };
      };
      expect((await createWith('one')).body.success).toBe(true);
      const second = await createWith('two');
      expect(second.body.success).toBe(true);
      const third = await createWith('three');
      expect(third.body).toMatchObject({ success: false, code: 'iot.system.IllegalRequest' });
      const row = await server.service.storage.db.selectFrom('stored_object').selectAll().where('object_key', '=', third.slot.key).executeTakeFirst();
      expect(row?.claimed_by).toBeNull();
      await client.deleteOTAFirmware(new iot.DeleteOTAFirmwareRequest({ firmwareId: second.body.data!.firmwareId! }));
      expect((await createWith('four')).body.success).toBe(true);
    });
  });
}
