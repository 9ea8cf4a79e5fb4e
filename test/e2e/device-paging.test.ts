import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { codeOf, createProduct, deviceRow, pinnableClock, registerDevice } from '../support/device-fixtures.js';
import { startTestServer, type TestServer } from '../support/server.js';

const DEVICES = 23;
const PAGE_SIZE = 5;

for (const dialect of testDialects()) {
  describe(`QueryDevice paging with NextToken (${dialect})`, () => {
    const clock = pinnableClock();
    let server: TestServer;
    let sdk: ReturnType<typeof sdkClient>;
    let productKey: string;
    /** IotIds newest first, ties by internal id descending (fleet-api §1.4). */
    let expected: string[];

    beforeAll(async () => {
      server = await startTestServer(dialect, { clock });
      sdk = sdkClient(server.endpoint, server.key, 'v3');
      productKey = await createProduct(sdk, 'Paged_Product');
      const base = Date.now();
      const rows: { iotId: string; createdAt: number; id: string }[] = [];
      for (let i = 0; i < DEVICES; i++) {
        // Groups of devices share a creation time, so ties must be broken by the internal id.
        clock.pin(base + Math.floor(i / 4));
        const d = await registerDevice(sdk, productKey, `paged-${String(i).padStart(2, '0')}`);
        const row = await deviceRow(server, d.iotId);
        rows.push({ iotId: d.iotId, createdAt: row.created_at, id: row.id });
      }
      clock.unpin();
      rows.sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      expected = rows.map((r) => r.iotId);
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`walks every page with NextToken: no overlap, no gap, token absent on the last page (${mode})`, async () => {
        const client = sdkClient(server.endpoint, server.key, mode);
        const seen: string[] = [];
        let token: string | undefined;
        for (let page = 1; ; page++) {
          const res = await client.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: PAGE_SIZE, nextToken: token }));
          expect(res.body).toMatchObject({ success: true, page, pageSize: PAGE_SIZE, pageCount: 5, total: DEVICES });
          seen.push(...(res.body.data?.deviceInfo ?? []).map((d) => d.iotId!));
          token = res.body.nextToken;
          if (page < 5) expect(token).toEqual(expect.any(String));
          if (token === undefined) break;
          expect(page).toBeLessThan(5);
        }
        expect(seen).toEqual(expected);
      });
    }

    it('offset pages give the same sequence, each with a token for the next page', async () => {
      const seen: string[] = [];
      for (let page = 1; page <= 6; page++) {
        const res = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, currentPage: page, pageSize: PAGE_SIZE }));
        expect(res.body).toMatchObject({ page, pageSize: PAGE_SIZE, pageCount: 5, total: DEVICES });
        seen.push(...(res.body.data?.deviceInfo ?? []).map((d) => d.iotId!));
        expect(res.body.nextToken === undefined).toBe(page >= 5);
        if (page < 5) {
          // An offset page's token continues exactly where it ended.
          const next = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: PAGE_SIZE, nextToken: res.body.nextToken }));
          expect(next.body.page).toBe(page + 1);
          expect(next.body.data?.deviceInfo?.[0]?.iotId).toBe(expected[page * PAGE_SIZE]);
        }
      }
      expect(seen).toEqual(expected);
    });

    it('lets the token decide where the page starts when CurrentPage is sent too (POP)', async () => {
      const pop = popClient(server.url, server.key);
      const first = (await pop.request('QueryDevice', { ProductKey: productKey, PageSize: PAGE_SIZE })) as { NextToken: string };
      expect(typeof first.NextToken).toBe('string');
      const body = (await pop.request('QueryDevice', { ProductKey: productKey, PageSize: PAGE_SIZE, CurrentPage: 4, NextToken: first.NextToken }, { method: 'POST' })) as {
        Page: number;
        Data: { DeviceInfo: { IotId: string }[] };
      };
      expect(body.Page).toBe(2);
      expect(body.Data.DeviceInfo.map((d) => d.IotId)).toEqual(expected.slice(PAGE_SIZE, 2 * PAGE_SIZE));
    });

    it('a token may change the page size; it is bound to its product', async () => {
      const first = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 3 }));
      const next = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 7, nextToken: first.body.nextToken }));
      expect(next.body).toMatchObject({ page: 2, pageSize: 7, pageCount: 4 });
      expect(next.body.data?.deviceInfo?.map((d) => d.iotId)).toEqual(expected.slice(3, 10));
      expect(codeOf(await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 51, nextToken: first.body.nextToken })))).toBe(
        'iot.common.InvalidPageParams',
      );
      const other = await createProduct(sdk, 'Other_Paged');
      expect(codeOf(await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey: other, nextToken: first.body.nextToken })))).toBe(
        'iot.system.IllegalRequest',
      );
    });

    it('keeps its place when devices are registered or deleted between pages (keyset cursor)', async () => {
      const first = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: PAGE_SIZE }));
      const firstIds = first.body.data?.deviceInfo?.map((d) => d.iotId) ?? [];
      expect(firstIds).toEqual(expected.slice(0, PAGE_SIZE));
      // A newer device and the deletion of an already-listed one would shift offset pages by one each way.
      const newer = await registerDevice(sdk, productKey, 'paged-new');
      expect((await sdk.deleteDevice(new iot.DeleteDeviceRequest({ iotId: firstIds[0] }))).body.success).toBe(true);
      const rest: string[] = [];
      let token = first.body.nextToken;
      while (token !== undefined) {
        const res = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: PAGE_SIZE, nextToken: token }));
        expect(res.body.total).toBe(DEVICES);
        rest.push(...(res.body.data?.deviceInfo ?? []).map((d) => d.iotId!));
        token = res.body.nextToken;
      }
      expect(rest).toEqual(expected.slice(PAGE_SIZE));
      const fresh = await sdk.queryDevice(new iot.QueryDeviceRequest({ productKey, pageSize: 1 }));
      expect(fresh.body.data?.deviceInfo?.[0]?.iotId).toBe(newer.iotId);
    });
  });
}
