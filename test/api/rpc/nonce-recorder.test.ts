import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNonceRecorder } from '../../../src/api/rpc/nonce-recorder.js';
import { testDialects } from '../../support/dialects.js';
import { startTestServer, type TestServer } from '../../support/server.js';

for (const dialect of testDialects()) {
  describe(`nonce group commit (${dialect})`, () => {
    let server: TestServer;
    beforeAll(async () => {
      server = await startTestServer(dialect);
    });
    afterAll(async () => {
      await server?.stop();
    });

    it('accepts each nonce once, also when the same nonce arrives twice in one batch', async () => {
      const recorder = createNonceRecorder(server.service.storage.db);
      const expires = Date.now() + 60_000;
      const results = await Promise.all([
        recorder.record('k1', 'n1', expires),
        recorder.record('k1', 'n2', expires),
        recorder.record('k1', 'n1', expires),
        recorder.record('k2', 'n1', expires),
      ]);
      expect(results).toEqual([true, true, false, true]);
      expect(await recorder.record('k1', 'n2', expires)).toBe(false);
    });

    it('is shared across recorders through the database (a second instance, a restart)', async () => {
      const a = createNonceRecorder(server.service.storage.db);
      const b = createNonceRecorder(server.service.storage.db);
      const expires = Date.now() + 60_000;
      const racing = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).record('k3', 'same', expires)));
      expect(racing.filter(Boolean)).toHaveLength(1);
    });

    it('records large batches', async () => {
      const recorder = createNonceRecorder(server.service.storage.db);
      const expires = Date.now() + 60_000;
      const results = await Promise.all(Array.from({ length: 2500 }, (_, i) => recorder.record('k4', `n${i}`, expires)));
      expect(results.every(Boolean)).toBe(true);
    });
  });
}
