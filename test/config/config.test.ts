import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/config.js';

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      host: '0.0.0.0',
      httpPort: 8080,
      mqttPort: 1883,
      dataDir: './data',
      databaseUrl: undefined,
      bootstrapKey: undefined,
      publicUrl: undefined,
      rateLimits: true,
      logLevel: 'info',
      timestampWindowMs: 15 * 60_000,
      gmtOffsetMinutes: 480,
      region: 'cn-shanghai',
    });
  });

  it('treats an empty database URL as SQLite and accepts postgres URLs', () => {
    expect(loadConfig({ FLOTILLA_DATABASE_URL: '' }).databaseUrl).toBeUndefined();
    expect(loadConfig({ FLOTILLA_DATABASE_URL: 'postgres://u@h/db' }).databaseUrl).toBe('postgres://u@h/db');
  });

  it('drops a trailing slash from the public URL', () => {
    expect(loadConfig({ FLOTILLA_PUBLIC_URL: 'https://ota.example.com/base/' }).publicUrl).toBe('https://ota.example.com/base');
  });

  it('parses negative GMT offsets', () => {
    expect(loadConfig({ FLOTILLA_GMT_OFFSET: '-05:30' }).gmtOffsetMinutes).toBe(-330);
  });

  it('names every bad setting at once', () => {
    const problems = problemsOf({
      FLOTILLA_HTTP_PORT: '70000',
      FLOTILLA_MQTT_PORT: 'abc',
      FLOTILLA_RATE_LIMITS: 'maybe',
      FLOTILLA_DATABASE_URL: 'mysql://x',
      FLOTILLA_LOG_LEVEL: 'loud',
      FLOTILLA_PUBLIC_URL: 'ftp://x',
    });
    for (const name of [
      'FLOTILLA_HTTP_PORT',
      'FLOTILLA_MQTT_PORT',
      'FLOTILLA_RATE_LIMITS',
      'FLOTILLA_DATABASE_URL',
      'FLOTILLA_LOG_LEVEL',
      'FLOTILLA_PUBLIC_URL',
    ]) {
      expect(problems.some((p) => p.startsWith(name))).toBe(true);
    }
  });

  it('requires the bootstrap key id and secret together', () => {
    expect(problemsOf({ FLOTILLA_ACCESS_KEY_ID: 'LTAIabcdef' })).toEqual([
      'FLOTILLA_ACCESS_KEY_SECRET: missing; FLOTILLA_ACCESS_KEY_ID and FLOTILLA_ACCESS_KEY_SECRET must be set together',
    ]);
    expect(problemsOf({ FLOTILLA_ACCESS_KEY_SECRET: 'secret-123' })).toEqual([
      'FLOTILLA_ACCESS_KEY_ID: missing; FLOTILLA_ACCESS_KEY_ID and FLOTILLA_ACCESS_KEY_SECRET must be set together',
    ]);
    expect(loadConfig({ FLOTILLA_ACCESS_KEY_ID: 'LTAIabcdef', FLOTILLA_ACCESS_KEY_SECRET: 'secret-123' }).bootstrapKey).toEqual({
      accessKeyId: 'LTAIabcdef',
      accessKeySecret: 'secret-123',
    });
  });

  it('treats an empty value of any setting as unset', () => {
    const c = loadConfig({ FLOTILLA_HTTP_PORT: '', FLOTILLA_MQTT_PORT: ' ', FLOTILLA_LOG_LEVEL: '', FLOTILLA_ACCESS_KEY_ID: '', FLOTILLA_ACCESS_KEY_SECRET: '' });
    expect(c).toMatchObject({ httpPort: 8080, mqttPort: 1883, logLevel: 'info', bootstrapKey: undefined });
  });

  it('names a setting the way it was given when labels say so (CLI flags)', () => {
    try {
      loadConfig({ FLOTILLA_HTTP_PORT: '70000' }, { FLOTILLA_HTTP_PORT: 'FLOTILLA_HTTP_PORT (--http-port)' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^FLOTILLA_HTTP_PORT \(--http-port\): /)]);
    }
  });

  it('returns a frozen object', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });
});
