import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient, type Credentials } from '../support/clients.js';
import { ensureDistCurrent, killLeftovers, runCli, type ServeProcess, serveEnv, startServe } from '../support/cli-process.js';
import { createPostgresDatabase, testDialects } from '../support/dialects.js';

// fleet-api.md §2.2: dynamic registration is a Flotilla product setting, off by default, switched with
// `flotilla products dynamic-registration <productKey> on|off` — also while the server runs.

beforeAll(async () => {
  await ensureDistCurrent();
}, 180_000);

for (const dialect of testDialects()) {
  describe(`flotilla products dynamic-registration against a running server (${dialect})`, () => {
    let env: Record<string, string>;
    let server: ServeProcess;
    let dataDir: string;
    let dropDb: (() => Promise<void>) | undefined;
    let productKey: string;
    let productSecret: string;
    const bootstrap: Credentials = { accessKeyId: 'LTAIbootstrapdynreg', accessKeySecret: 'bootstrap-secret-for-dynreg-tests' };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-dynreg-'));
      env = serveEnv(dataDir, bootstrap);
      if (dialect === 'postgres') {
        const db = await createPostgresDatabase();
        dropDb = db.drop;
        env.FLOTILLA_DATABASE_URL = db.url;
      }
      server = await startServe(env);
      const sdk = sdkClient(server.endpoint, bootstrap);
      const made = await sdk.createProduct(new iot.CreateProductRequest({ productName: 'dynreg_cli', nodeType: 0 }));
      productKey = made.body.productKey!;
      productSecret = made.body.data!.productSecret!;
      const device = await sdk.registerDevice(new iot.RegisterDeviceRequest({ productKey, deviceName: 'cli_dev' }));
      expect(device.body.success).toBe(true);
    }, 120_000);

    afterAll(async () => {
      if (server?.running) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
      await killLeftovers();
      await dropDb?.();
      rmSync(dataDir, { recursive: true, force: true });
    });

    async function registrationCode(): Promise<unknown> {
      const random = Math.random().toString(36).slice(2);
      const sign = createHmac('sha1', productSecret).update(`deviceNamecli_devproductKey${productKey}random${random}`).digest('hex');
      const res = await fetch(`${server.httpUrl}/auth/register/device`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ productKey, deviceName: 'cli_dev', random, signMethod: 'hmacsha1', sign }).toString(),
      });
      return ((await res.json()) as { code: unknown }).code;
    }

    it('is off by default; on and off hold on the very next request and print one JSON line', async () => {
      expect(await registrationCode()).toBe(6288);

      const on = await runCli(['products', 'dynamic-registration', productKey, 'on'], env);
      expect(on.code, on.stderr).toBe(0);
      expect(on.stdout.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(on.stdout)).toEqual({ productKey, dynamicRegistration: true });
      expect(await registrationCode()).toBe(200);

      const off = await runCli(['products', 'dynamic-registration', productKey, 'off'], env);
      expect(off.code, off.stderr).toBe(0);
      expect(JSON.parse(off.stdout)).toEqual({ productKey, dynamicRegistration: false });
      expect(await registrationCode()).toBe(6288);
    });

    it('fails with a message for an unknown product and refuses a state other than on|off', async () => {
      const unknown = await runCli(['products', 'dynamic-registration', 'a1NoSuchPk9', 'on'], env);
      expect(unknown.code).toBe(1);
      expect(unknown.stdout).toBe('');
      expect(unknown.stderr).toContain('no product with ProductKey a1NoSuchPk9');

      const bad = await runCli(['products', 'dynamic-registration', productKey, 'maybe'], env);
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/maybe/);
      expect(await registrationCode()).toBe(6288);
    });
  });
}
