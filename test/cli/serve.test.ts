import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { iot, sdkClient, type Credentials } from '../support/clients.js';
import { ensureDistCurrent, killLeftovers, LISTENING_LINE, runCli, type ServeProcess, sleep, spawnCli, startServe } from '../support/cli-process.js';
import { createPostgresDatabase, testDialects, type TestDialect } from '../support/dialects.js';
import { signedForm, startSlowPost } from '../support/slow-request.js';

// The start contract of the foundation issue (§2) and the spec README's "start contract" decision, driven
// through the real command `node bin/flotilla.js serve` in a child process.

const dirs: string[] = [];
const databases: { drop: () => Promise<void> }[] = [];

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'flotilla-cli-'));
  dirs.push(dir);
  return dir;
}

async function freshEnv(dialect: TestDialect, extra: Record<string, string> = {}): Promise<Record<string, string>> {
  const env: Record<string, string> = {
    FLOTILLA_HOST: '127.0.0.1',
    FLOTILLA_HTTP_PORT: '0',
    FLOTILLA_MQTT_PORT: '0',
    FLOTILLA_DATA_DIR: freshDataDir(),
    FLOTILLA_LOG_LEVEL: 'warn',
  };
  if (dialect === 'postgres') {
    const db = await createPostgresDatabase();
    databases.push(db);
    env.FLOTILLA_DATABASE_URL = db.url;
  }
  return { ...env, ...extra };
}

const KEY_LINES = /FLOTILLA_ACCESS_KEY_ID=(\S+)\n\s*FLOTILLA_ACCESS_KEY_SECRET=(\S+)/;

function generatedKey(output: string): Credentials | undefined {
  const m = output.match(KEY_LINES);
  return m ? { accessKeyId: m[1]!, accessKeySecret: m[2]! } : undefined;
}

async function productCount(endpoint: string, key: Credentials): Promise<number> {
  const res = await sdkClient(endpoint, key).queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }));
  expect(res.body.success, JSON.stringify(res.body)).toBe(true);
  return res.body.data!.total!;
}

async function healthz(url: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${url}/healthz`);
  return { status: res.status, body: await res.json() };
}

/** Sends `signal` and resolves with the exit and how long it took. */
async function stopWith(proc: ServeProcess, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const t0 = Date.now();
  proc.child.kill(signal);
  const exit = await proc.exited;
  return { code: exit.code, ms: Date.now() - t0 };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

function tcpConnect(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

const key = (): Credentials => ({ accessKeyId: `CLI${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`, accessKeySecret: `s3cr3t-${Math.random().toString(36).slice(2)}-x` });
const keyEnv = (k: Credentials) => ({ FLOTILLA_ACCESS_KEY_ID: k.accessKeyId, FLOTILLA_ACCESS_KEY_SECRET: k.accessKeySecret });

beforeAll(async () => {
  await ensureDistCurrent();
}, 180_000);

afterEach(async () => {
  await killLeftovers();
});

afterAll(async () => {
  for (const db of databases) await db.drop().catch(() => {});
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('flotilla serve: start line, health, settings', () => {
  it('prints exactly one line with the ports actually bound; /healthz is ok; MQTT accepts TCP', async () => {
    const server = await startServe(await freshEnv('sqlite', keyEnv(key())));
    expect(server.httpPort).toBeGreaterThan(0);
    expect(server.mqttPort).toBeGreaterThan(0);
    expect(server.httpPort).not.toBe(server.mqttPort);
    expect(server.stdout.split('\n').filter((l) => l.startsWith('Flotilla listening on'))).toHaveLength(1);

    const health = await healthz(server.httpUrl);
    expect(health).toEqual({ status: 200, body: { status: 'ok' } });
    const mqtt = await tcpConnect(server.mqttPort);
    mqtt.destroy();
    expect((await stopWith(server, 'SIGTERM')).code).toBe(0);
  });

  it.each([
    ['FLOTILLA_HTTP_PORT', { FLOTILLA_HTTP_PORT: '70000' }],
    ['FLOTILLA_MQTT_PORT', { FLOTILLA_MQTT_PORT: '-1' }],
    ['FLOTILLA_HTTP_PORT', { FLOTILLA_HTTP_PORT: 'eighty' }],
    ['FLOTILLA_RATE_LIMITS', { FLOTILLA_RATE_LIMITS: 'maybe' }],
    ['FLOTILLA_DATABASE_URL', { FLOTILLA_DATABASE_URL: 'mysql://x' }],
    ['FLOTILLA_ACCESS_KEY_SECRET', { FLOTILLA_ACCESS_KEY_ID: 'LTAIonlytheid' }],
    ['FLOTILLA_ACCESS_KEY_ID', { FLOTILLA_ACCESS_KEY_SECRET: 'only-the-secret' }],
    ['FLOTILLA_LOG_LEVEL', { FLOTILLA_LOG_LEVEL: 'loud' }],
    ['FLOTILLA_PUBLIC_URL', { FLOTILLA_PUBLIC_URL: 'ftp://example.com' }],
  ])('refuses a bad %s with a message naming it and a non-zero exit', async (name, bad) => {
    const env = { ...(await freshEnv('sqlite')), ...bad };
    const result = await runCli(['serve'], env);
    expect(result.code).not.toBe(0);
    expect(result.code).not.toBeNull();
    expect(result.stderr).toContain(name);
    expect(result.stdout).not.toMatch(LISTENING_LINE);
  });

  it('names the flag too when the bad value came from a flag', async () => {
    const result = await runCli(['serve', '--http-port', '70000'], await freshEnv('sqlite'));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('FLOTILLA_HTTP_PORT');
    expect(result.stderr).toContain('--http-port');
  });

  it('takes flags over the environment', async () => {
    const port = await freePort();
    const env = await freshEnv('sqlite', { ...keyEnv(key()), FLOTILLA_HTTP_PORT: '70000', FLOTILLA_RATE_LIMITS: 'maybe' });
    const server = await startServe(env, ['--http-port', String(port), '--rate-limits', 'off']);
    expect(server.httpPort).toBe(port);
    expect((await healthz(server.httpUrl)).status).toBe(200);
    expect((await stopWith(server, 'SIGTERM')).code).toBe(0);
  });

  it('treats an empty FLOTILLA_DATABASE_URL as SQLite in the data dir', async () => {
    const k = key();
    const env = await freshEnv('sqlite', { ...keyEnv(k), FLOTILLA_DATABASE_URL: '' });
    const server = await startServe(env);
    expect(existsSync(join(env.FLOTILLA_DATA_DIR!, 'flotilla.db'))).toBe(true);
    expect(await productCount(server.endpoint, k)).toBe(0);
    expect((await stopWith(server, 'SIGTERM')).code).toBe(0);
  });
});

for (const dialect of testDialects()) {
  describe(`flotilla serve: keys, restarts and races (${dialect})`, () => {
    it('generates a key on the first start only, prints it once, and the key works through the SDK', async () => {
      const env = await freshEnv(dialect);
      const first = await startServe(env);
      await first.waitFor(KEY_LINES);
      const generated = generatedKey(first.stdout)!;
      expect(first.stdout.match(/FLOTILLA_ACCESS_KEY_SECRET=/g)).toHaveLength(1);
      const created = await sdkClient(first.endpoint, generated).createProduct(new iot.CreateProductRequest({ productName: 'first_start', nodeType: 0 }));
      expect(created.body.success).toBe(true);
      expect((await stopWith(first, 'SIGTERM')).code).toBe(0);

      const second = await startServe(env);
      await sleep(300); // anything printed after the start line would be here by now
      expect(second.output).not.toContain('FLOTILLA_ACCESS_KEY_SECRET');
      expect(second.output).not.toContain(generated.accessKeySecret);
      expect(await productCount(second.endpoint, generated)).toBe(1);
      expect((await stopWith(second, 'SIGTERM')).code).toBe(0);
    });

    it('starts again after kill -9 on the same data and keeps what was stored', async () => {
      const k = key();
      const env = await freshEnv(dialect, keyEnv(k));
      const first = await startServe(env);
      const client = sdkClient(first.endpoint, k);
      for (let i = 0; i < 5; i++) {
        const res = await client.createProduct(new iot.CreateProductRequest({ productName: `crash_${i}`, nodeType: 0 }));
        expect(res.body.success).toBe(true);
      }
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');

      const second = await startServe(env);
      expect((await healthz(second.httpUrl)).status).toBe(200);
      expect(await productCount(second.endpoint, k)).toBe(5);
      expect((await stopWith(second, 'SIGTERM')).code).toBe(0);
    });

    it.each([
      ['a fresh store', false],
      ['a migrated store without accounts', true],
    ])('brings up two servers started at the same moment on %s, with one generated key', async (_, migrated) => {
      const env = await freshEnv(dialect);
      if (migrated) expect((await runCli(['accounts', 'list'], env)).stdout.trim()).toBe('[]');
      const [a, b] = await Promise.all([startServe(env), startServe(env)]);
      expect((await healthz(a.httpUrl)).status).toBe(200);
      expect((await healthz(b.httpUrl)).status).toBe(200);
      await sleep(300);
      const keys = [generatedKey(a.stdout), generatedKey(b.stdout)].filter((k) => k !== undefined);
      expect(keys).toHaveLength(1);
      expect(await productCount(a.endpoint, keys[0]!)).toBe(0);
      expect(await productCount(b.endpoint, keys[0]!)).toBe(0);
      const [stopA, stopB] = await Promise.all([stopWith(a, 'SIGTERM'), stopWith(b, 'SIGTERM')]);
      expect([stopA.code, stopB.code]).toEqual([0, 0]);
    });

    it('brings up two servers started at the same moment with the same configured key', async () => {
      const k = key();
      const env = await freshEnv(dialect, keyEnv(k));
      const [a, b] = await Promise.all([startServe(env), startServe(env)]);
      expect(await productCount(a.endpoint, k)).toBe(0);
      expect(await productCount(b.endpoint, k)).toBe(0);
      const [stopA, stopB] = await Promise.all([stopWith(a, 'SIGTERM'), stopWith(b, 'SIGTERM')]);
      expect([stopA.code, stopB.code]).toEqual([0, 0]);
    });
  });
}

describe('flotilla serve: shutdown', () => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    it(`${signal} ends the process with exit code 0 within 10 s, answering the request in flight`, async () => {
      const k = key();
      const server = await startServe(await freshEnv('sqlite', keyEnv(k)));

      // An idle keep-alive HTTP connection and an MQTT connection that never sent CONNECT.
      const agent = new Agent({ keepAlive: true, maxSockets: 1 });
      await new Promise<void>((resolve, reject) => {
        get(`${server.httpUrl}/healthz`, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }).on('error', reject);
      });
      await sleep(50);
      expect(Object.values(agent.freeSockets).flat()).toHaveLength(1);
      const mqtt = await tcpConnect(server.mqttPort);
      mqtt.on('error', () => {});

      const busy = new Agent({ keepAlive: true });
      const inFlight = startSlowPost(server.httpUrl, signedForm('QueryProductList', { CurrentPage: '1', PageSize: '10' }, k), busy);
      await sleep(300);
      const stopping = stopWith(server, signal);
      await sleep(500);
      expect(server.running).toBe(true); // still waiting for the request in flight
      inFlight.finish();
      const answer = await inFlight.response;
      expect(answer.status).toBe(200);
      // The answer closes its keep-alive connection, so that connection cannot hold the shutdown open.
      expect(answer.connection).toBe('close');
      expect(JSON.parse(answer.body)).toMatchObject({ Success: true, Data: { Total: 0 } });

      const stopped = await stopping;
      expect(stopped.code).toBe(0);
      expect(stopped.ms).toBeLessThan(10_000);
      expect(server.stderr).not.toContain('shutdown took longer');
      agent.destroy();
      busy.destroy();
      mqtt.destroy();
    });
  }

  it('SIGTERM with only idle connections open ends promptly', async () => {
    const server = await startServe(await freshEnv('sqlite', keyEnv(key())));
    const agent = new Agent({ keepAlive: true });
    await new Promise<void>((resolve, reject) => {
      get(`${server.httpUrl}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    const mqtt = await tcpConnect(server.mqttPort);
    mqtt.on('error', () => {});
    const stopped = await stopWith(server, 'SIGTERM');
    expect(stopped.code).toBe(0);
    // Far from the 9 s deadline at which serve gives up waiting (an idle MQTT socket used to hold it there).
    expect(stopped.ms).toBeLessThan(8_000);
    expect(server.stderr).not.toContain('shutdown took longer');
    agent.destroy();
    mqtt.destroy();
  });
});

describe('flotilla serve: secrets stay out of the output', () => {
  it('logs no access key, product or device secret at FLOTILLA_LOG_LEVEL=trace', async () => {
    const k = key();
    const server = await startServe(await freshEnv('sqlite', { ...keyEnv(k), FLOTILLA_LOG_LEVEL: 'trace' }));
    const seen: string[] = [k.accessKeySecret];
    for (const mode of ['v3', 'v2'] as const) {
      const client = sdkClient(server.endpoint, k, mode);
      const product = await client.createProduct(new iot.CreateProductRequest({ productName: `secret_${mode}`, nodeType: 0 }));
      expect(product.body.success).toBe(true);
      seen.push(product.body.data!.productSecret!);
      const device = await client.registerDevice(new iot.RegisterDeviceRequest({ productKey: product.body.productKey!, deviceName: `dev_${mode}` }));
      expect(device.body.success).toBe(true);
      seen.push(device.body.data!.deviceSecret!);
      const detail = await client.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ productKey: product.body.productKey!, deviceName: `dev_${mode}` }));
      expect(detail.body.data?.deviceSecret).toBe(device.body.data!.deviceSecret);
    }
    // A failing signature and a business failure go through the error paths of the logger too.
    const wrong = sdkClient(server.endpoint, { accessKeyId: k.accessKeyId, accessKeySecret: 'not-the-secret' });
    await expect(wrong.queryProductList(new iot.QueryProductListRequest({ currentPage: 1, pageSize: 10 }))).rejects.toMatchObject({ statusCode: 400 });
    const missing = await sdkClient(server.endpoint, k).queryProduct(new iot.QueryProductRequest({ productKey: 'a1NoSuchOne' }));
    expect(missing.body.success).toBe(false);

    const stopped = await stopWith(server, 'SIGTERM');
    expect(stopped.code).toBe(0);
    expect(server.output.length).toBeGreaterThan(0);
    expect(server.output).toMatch(/"level":30/); // the logger did write to this output
    for (const secret of seen) expect(server.output).not.toContain(secret);
  });
});
