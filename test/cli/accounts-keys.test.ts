import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient, type Credentials } from '../support/clients.js';
import { ensureDistCurrent, killLeftovers, runCli, type ServeProcess, serveEnv, startServe } from '../support/cli-process.js';
import { createPostgresDatabase, testDialects } from '../support/dialects.js';

// Start contract (foundation issue §2, §3): `flotilla accounts|keys|instances …` against the same data dir
// or database as a running server; what they change holds on the server's very next request.

interface CreatedKey {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
}

beforeAll(async () => {
  await ensureDistCurrent();
}, 180_000);

for (const dialect of testDialects()) {
  describe(`flotilla accounts, keys and instances against a running server (${dialect})`, () => {
    let env: Record<string, string>;
    let server: ServeProcess;
    let dataDir: string;
    let dropDb: (() => Promise<void>) | undefined;
    const bootstrap: Credentials = { accessKeyId: 'LTAIbootstrapcli01', accessKeySecret: 'bootstrap-secret-for-cli-tests' };

    beforeAll(async () => {
      dataDir = mkdtempSync(join(tmpdir(), 'flotilla-cli-keys-'));
      env = serveEnv(dataDir, bootstrap);
      if (dialect === 'postgres') {
        const db = await createPostgresDatabase();
        dropDb = db.drop;
        env.FLOTILLA_DATABASE_URL = db.url;
      }
      server = await startServe(env);
      // Something in the bootstrap account that the new accounts must not see.
      const made = await sdkClient(server.endpoint, bootstrap).createProduct(new iot.CreateProductRequest({ productName: 'bootstrap_only', nodeType: 0 }));
      expect(made.body.success).toBe(true);
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

    async function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
      return runCli(args, env);
    }

    async function cliJson<T>(...args: string[]): Promise<T> {
      const r = await cli(...args);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      return JSON.parse(r.stdout) as T;
    }

    async function total(key: Credentials, iotInstanceId?: string): Promise<number> {
      const res = await sdkClient(server.endpoint, key).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10, iotInstanceId }));
      expect(res.body.success, JSON.stringify(res.body)).toBe(true);
      return res.body.data!.total!;
    }

    let acme: CreatedKey;
    let second: CreatedKey;

    it('accounts create prints exactly one JSON object whose key works on the very next request', async () => {
      const r = await cli('accounts', 'create', 'acme');
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout.endsWith('\n')).toBe(true);
      expect(r.stdout.trim().split('\n')).toHaveLength(1);
      acme = JSON.parse(r.stdout) as CreatedKey;
      expect(Object.keys(acme).sort()).toEqual(['accessKeyId', 'accessKeySecret', 'accountId']);
      expect(acme.accountId).toMatch(/^\d+$/);
      expect(acme.accessKeyId).toMatch(/^\S{16,}$/);
      expect(acme.accessKeySecret).toMatch(/^\S{16,}$/);
      expect(await total(acme)).toBe(0); // the bootstrap account's product is not acme's
    });

    it('reads settings from flags too (--data-dir, --database-url)', async () => {
      const flags = ['--data-dir', dataDir, ...(env.FLOTILLA_DATABASE_URL ? ['--database-url', env.FLOTILLA_DATABASE_URL] : [])];
      const r = await runCli(['accounts', 'create', 'flagged', ...flags], { FLOTILLA_LOG_LEVEL: 'warn' });
      expect(r.code, r.stderr).toBe(0);
      const flagged = JSON.parse(r.stdout) as CreatedKey;
      expect(await total(flagged)).toBe(0);
    });

    it('keys create adds a key that works on the next request; keys list shows no secret', async () => {
      second = await cliJson<CreatedKey>('keys', 'create', acme.accountId);
      expect(second.accountId).toBe(acme.accountId);
      expect(second.accessKeyId).not.toBe(acme.accessKeyId);
      expect(await total(second)).toBe(0);

      const listed = await cli('keys', 'list', acme.accountId);
      expect(listed.code).toBe(0);
      const keys = JSON.parse(listed.stdout) as { accessKeyId: string; status: string }[];
      expect(keys.map((k) => k.accessKeyId).sort()).toEqual([acme.accessKeyId, second.accessKeyId].sort());
      expect(keys.every((k) => k.status === 'Active')).toBe(true);
      expect(listed.stdout).not.toContain(acme.accessKeySecret);
      expect(listed.stdout).not.toContain(second.accessKeySecret);
      expect(listed.stdout).not.toMatch(/secret/i);
    });

    it('keys disable rejects the key on the next request with InvalidAccessKeyId.Inactive; keys enable restores it', async () => {
      await cliJson('keys', 'disable', second.accessKeyId);
      for (const mode of ['v3', 'v2'] as const) {
        await expect(
          sdkClient(server.endpoint, second, mode).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 })),
        ).rejects.toMatchObject({ code: 'InvalidAccessKeyId.Inactive', statusCode: 400 });
      }
      expect(await total(acme)).toBe(0); // the account's other key is untouched
      const listed = JSON.parse((await cli('keys', 'list', acme.accountId)).stdout) as { accessKeyId: string; status: string }[];
      expect(listed.find((k) => k.accessKeyId === second.accessKeyId)?.status).toBe('Inactive');

      await cliJson('keys', 'enable', second.accessKeyId);
      expect(await total(second)).toBe(0);
    });

    it('instances create adds an IotInstanceId that scopes resources apart from the default instance', async () => {
      const instanceId = 'iot-cn-cli0test01';
      expect(await cliJson('instances', 'create', acme.accountId, instanceId)).toEqual({ accountId: acme.accountId, iotInstanceId: instanceId });
      const client = sdkClient(server.endpoint, acme);

      const inNamed = await client.createProduct(new iot.CreateProductRequest({ productName: 'in_named', nodeType: 0, iotInstanceId: instanceId }));
      expect(inNamed.body.success, JSON.stringify(inNamed.body)).toBe(true);
      const inDefault = await client.createProduct(new iot.CreateProductRequest({ productName: 'in_default', nodeType: 0 }));
      expect(inDefault.body.success).toBe(true);

      const namedKey = inNamed.body.productKey!;
      const defaultKey = inDefault.body.productKey!;
      expect((await client.queryProduct(new iot.QueryProductRequest({ productKey: namedKey, iotInstanceId: instanceId }))).body.success).toBe(true);
      const crossA = await client.queryProduct(new iot.QueryProductRequest({ productKey: namedKey }));
      expect(crossA.body).toMatchObject({ success: false, code: 'iot.prod.NotExistedProduct' });
      const crossB = await client.queryProduct(new iot.QueryProductRequest({ productKey: defaultKey, iotInstanceId: instanceId }));
      expect(crossB.body).toMatchObject({ success: false, code: 'iot.prod.NotExistedProduct' });
      expect(await total(acme)).toBe(1);
      expect(await total(acme, instanceId)).toBe(1);

      const listed = await cliJson<{ iotInstanceId: string; default: boolean }[]>('instances', 'list', acme.accountId);
      expect(listed.map((i) => [i.iotInstanceId === instanceId, i.default])).toEqual(
        expect.arrayContaining([
          [true, false],
          [false, true],
        ]),
      );
      // The same id twice is refused.
      const again = await cli('instances', 'create', acme.accountId, instanceId);
      expect(again.code).not.toBe(0);
      expect(again.stderr).toContain(instanceId);
    });

    it.each([
      ['keys', 'create', '9999999999999999'],
      ['keys', 'list', '9999999999999999'],
      ['instances', 'create', '9999999999999999', 'iot-nope'],
      ['instances', 'list', '9999999999999999'],
      ['keys', 'disable', 'LTAInoSuchKeyAtAll1'],
      ['keys', 'enable', 'LTAInoSuchKeyAtAll1'],
    ])('refuses an unknown id: %s %s %s', async (...args) => {
      const r = await cli(...args);
      expect(r.code).not.toBe(0);
      expect(r.code).not.toBeNull();
      expect(r.stderr).toContain(args[2]);
      expect(r.stdout).toBe('');
    });

    it('refuses an empty account name', async () => {
      const r = await cli('accounts', 'create', '  ');
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/name/);
    });

    it('refuses to write with a master key that cannot open the stored secrets', async () => {
      const before = (await cliJson<unknown[]>('accounts', 'list')).length;
      const r = await runCli(['accounts', 'create', 'wrong-key'], { ...env, FLOTILLA_MASTER_KEY: 'ab'.repeat(32) });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain('master key');
      expect(r.stdout).not.toContain('accessKeySecret');
      expect((await cliJson<unknown[]>('accounts', 'list')).length).toBe(before);
    });
  });
}
