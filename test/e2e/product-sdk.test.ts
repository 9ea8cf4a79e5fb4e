import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, popClient, sdkClient } from '../support/clients.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

for (const dialect of testDialects()) {
  describe(`products through the official clients (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    for (const mode of ['v3', 'v2'] as const) {
      it(`creates, reads, lists, renames and deletes a product with the SDK (${mode})`, async () => {
        const client = sdkClient(server.endpoint, server.key, mode);
        const name = `pump_${mode}_${Date.now() % 100000}`;
        const created = await client.createProduct(new iot.CreateProductRequest({ productName: name, nodeType: 0, description: 'pumps' }));
        expect(created.body.success).toBe(true);
        const productKey = created.body.productKey!;
        expect(productKey).toMatch(/^a1[A-Za-z0-9]{9}$/);
        expect(created.body.data?.productSecret).toMatch(/^[A-Za-z0-9]{16}$/);

        const queried = await client.queryProduct(new iot.QueryProductRequest({ productKey }));
        expect(queried.body.data?.productName).toBe(name);
        expect(queried.body.data?.netType).toBe(3);
        expect(queried.body.data?.deviceCount).toBe(0);

        const list = await client.queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }));
        expect(list.body.data?.list?.productInfo?.some((p) => p.productKey === productKey)).toBe(true);

        const renamed = await client.updateProduct(new iot.UpdateProductRequest({ productKey, productName: `${name}_x` }));
        expect(renamed.body.success).toBe(true);

        const deleted = await client.deleteProduct(new iot.DeleteProductRequest({ productKey }));
        expect(deleted.body.success).toBe(true);
        const gone = await client.queryProduct(new iot.QueryProductRequest({ productKey }));
        expect(gone.body.success).toBe(false);
        expect(gone.body.code).toBe('iot.prod.NotExistedProduct');
      });
    }

    it('answers POP with GET and POST', async () => {
      const pop = popClient(server.url, server.key);
      const name = `valve_${Date.now() % 100000}`;
      const created = (await pop.request('CreateProduct', { ProductName: name, NodeType: 0 }, { method: 'POST' })) as {
        ProductKey: string;
      };
      const got = (await pop.request('QueryProduct', { ProductKey: created.ProductKey })) as { Data: { ProductName: string } };
      expect(got.Data.ProductName).toBe(name);
      await expect(pop.request('QueryProduct', { ProductKey: 'a1NoSuchOne' })).rejects.toMatchObject({ code: 'iot.prod.NotExistedProduct' });
    });

    it('throws a gateway error for a wrong secret', async () => {
      const client = sdkClient(server.endpoint, { accessKeyId: server.key.accessKeyId, accessKeySecret: 'wrong-secret' });
      await expect(client.queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }))).rejects.toMatchObject({
        code: 'SignatureDoesNotMatch',
        statusCode: 400,
      });
    });
  });
}
