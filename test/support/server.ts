import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { loadConfig } from '../../src/config/config.js';
import type { Clock } from '../../src/domain/clock.js';
import { startService, type RunningService } from '../../src/main.js';
import { createPostgresDatabase, type TestDialect } from './dialects.js';

export interface TestServer {
  readonly dialect: TestDialect;
  readonly service: RunningService;
  /** http://127.0.0.1:PORT */
  readonly url: string;
  /** 127.0.0.1:PORT, as the SDK's `endpoint` takes it. */
  readonly endpoint: string;
  readonly key: { accessKeyId: string; accessKeySecret: string };
  readonly dataDir: string;
  readonly env: Record<string, string>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  readonly env?: Record<string, string>;
  readonly clock?: Clock;
}

/** A whole Flotilla on ephemeral loopback ports, with a fresh data dir (and database on PostgreSQL). */
export async function startTestServer(dialect: TestDialect, options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'flotilla-test-'));
  const pgDb = dialect === 'postgres' ? await createPostgresDatabase() : undefined;
  const key = { accessKeyId: `TEST${randomBytes(8).toString('hex')}`, accessKeySecret: randomBytes(15).toString('hex') };
  const env: Record<string, string> = {
    FLOTILLA_HOST: '127.0.0.1',
    FLOTILLA_HTTP_PORT: '0',
    FLOTILLA_MQTT_PORT: '0',
    FLOTILLA_DATA_DIR: dataDir,
    FLOTILLA_ACCESS_KEY_ID: key.accessKeyId,
    FLOTILLA_ACCESS_KEY_SECRET: key.accessKeySecret,
    FLOTILLA_RATE_LIMITS: 'off',
    FLOTILLA_LOG_LEVEL: 'silent',
    ...(pgDb ? { FLOTILLA_DATABASE_URL: pgDb.url } : {}),
    ...options.env,
  };
  const service = await startService(loadConfig(env), { clock: options.clock, log: pino({ level: env.FLOTILLA_LOG_LEVEL ?? 'silent' }) });
  return {
    dialect,
    service,
    url: service.httpUrl,
    endpoint: service.httpUrl.replace(/^http:\/\//, ''),
    key,
    dataDir,
    env,
    async stop() {
      await service.close();
      await pgDb?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
