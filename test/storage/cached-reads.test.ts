import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction, openStorage, type Storage } from '../../src/storage/db.js';
import { setAccessKeyStatus } from '../../src/storage/repos/account-repo.js';
import { iot, sdkClient, type Credentials } from '../support/clients.js';
import { ensureDistCurrent, killLeftovers, runCli } from '../support/cli-process.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

// Access keys and products are cached on SQLite (storage/hot-query.ts `cachedHotQuery`); every change —
// in this process, in a transaction, by the CLI or another connection — must show on the very next request.
// On PostgreSQL nothing is cached; the same expectations hold.

beforeAll(async () => {
  await ensureDistCurrent();
}, 180_000);

for (const dialect of testDialects()) {
  describe(`cached key and product reads stay current (${dialect})`, () => {
    let server: TestServer;
    let other: Storage;
    let key: Credentials & { accountId: string };

    beforeAll(async () => {
      server = await startTestServer(dialect);
      // A second connection to the same database, as another process would have.
      other = await openStorage({ databaseUrl: server.env.FLOTILLA_DATABASE_URL, dataDir: server.dataDir });
      key = await server.service.services.accounts.createAccount('cache-test');
    }, 60_000);

    afterAll(async () => {
      await other?.close();
      await killLeftovers();
      await server?.stop();
    });

    const listProducts = (k: Credentials) => sdkClient(server.endpoint, k).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }));

    it('rejects a key on the very next request once the CLI in another process disabled it', async () => {
      for (let i = 0; i < 5; i++) expect((await listProducts(key)).body.success).toBe(true);
      const disabled = await runCli(['keys', 'disable', key.accessKeyId], server.env);
      expect(disabled.code).toBe(0);
      await expect(listProducts(key)).rejects.toMatchObject({ code: 'InvalidAccessKeyId.Inactive' });
      expect((await runCli(['keys', 'enable', key.accessKeyId], server.env)).code).toBe(0);
      expect((await listProducts(key)).body.success).toBe(true);
    }, 60_000);

    it('sees a key disabled through another connection, and through this process', async () => {
      const { accounts } = server.service.services;
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(true);
      await setAccessKeyStatus(other.db, key.accessKeyId, 'Inactive');
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(false);
      await setAccessKeyStatus(other.db, key.accessKeyId, 'Active');
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(true);
      await accounts.setKeyActive(key.accessKeyId, false);
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(false);
      await accounts.setKeyActive(key.accessKeyId, true);
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(true);
    });

    it('answers committed data while a transaction is open, and the new data once it commits', async () => {
      const { accounts } = server.service.services;
      const db = server.service.storage.db;
      await inTransaction(db, async (tx) => {
        await setAccessKeyStatus(tx, key.accessKeyId, 'Inactive');
        // SQLite: the fast reader sees only committed rows; PostgreSQL: another pooled connection.
        expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(true);
      });
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(false);
      // A rolled-back change leaves the key as it was.
      await expect(
        inTransaction(db, async (tx) => {
          await setAccessKeyStatus(tx, key.accessKeyId, 'Active');
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(false);
      await accounts.setKeyActive(key.accessKeyId, true);
      expect((await accounts.resolveKey(key.accessKeyId))?.active).toBe(true);
    });

    it('shows a product renamed by another connection and deleted through the API at once, and never to another tenant', async () => {
      const client = sdkClient(server.endpoint, key);
      const made = await client.createProduct(new iot.CreateProductRequest({ productName: 'cached_product', nodeType: 0 }));
      const productKey = made.body.productKey!;
      const query = () => client.queryProduct(new iot.QueryProductRequest({ productKey }));
      expect((await query()).body.data?.productName).toBe('cached_product');
      expect((await query()).body.data?.productName).toBe('cached_product');

      await other.db.updateTable('product').set({ product_name: 'renamed_elsewhere' }).where('product_key', '=', productKey).execute();
      expect((await query()).body.data?.productName).toBe('renamed_elsewhere');

      // Another account asks for the same key right after the owner's cached read: not found.
      const stranger = await server.service.services.accounts.createAccount('cache-stranger');
      const foreign = await sdkClient(server.endpoint, stranger).queryProduct(new iot.QueryProductRequest({ productKey }));
      expect(foreign.body).toMatchObject({ success: false, code: 'iot.prod.NotExistedProduct' });

      expect((await client.deleteProduct(new iot.DeleteProductRequest({ productKey }))).body.success).toBe(true);
      expect((await query()).body).toMatchObject({ success: false, code: 'iot.prod.NotExistedProduct' });
    });
  });
}
