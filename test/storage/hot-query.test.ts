import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hotQuery } from '../../src/storage/hot-query.js';
import type { Db } from '../../src/storage/db.js';
import { testDialects } from '../support/dialects.js';
import { startTestServer, type TestServer } from '../support/server.js';

for (const dialect of testDialects()) {
  describe(`compiled-once queries (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('puts each call’s arguments where the markers were, keeping literal parameters', async () => {
      const db = server.service.storage.db;
      const query = hotQuery((d: Db, name: string, status: 'Active' | 'Inactive') =>
        d.selectFrom('account').select(['name', 'status']).where('name', '=', name).where('status', '=', status).where('id', '!=', 'literal-id'),
      );
      const { accounts } = server.service.services;
      await accounts.createAccount('first');
      await accounts.createAccount('second');
      expect(await query(db, 'first', 'Active')).toEqual([{ name: 'first', status: 'Active' }]);
      expect(await query(db, 'second', 'Active')).toEqual([{ name: 'second', status: 'Active' }]);
      expect(await query(db, 'second', 'Inactive')).toEqual([]);
      // Arguments are bound, never spliced into SQL.
      expect(await query(db, "x' OR '1'='1", 'Active')).toEqual([]);
    });
  });
}
