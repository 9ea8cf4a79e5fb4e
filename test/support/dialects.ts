import pg from 'pg';
import { randomBytes } from 'node:crypto';

export type TestDialect = 'sqlite' | 'postgres';

/**
 * The dialects every storage-touching suite runs on. PostgreSQL comes from FLOTILLA_TEST_DATABASE_URL (an
 * admin connection; each server gets a database of its own). FLOTILLA_TEST_DIALECTS=sqlite narrows the run.
 * Global setup has already checked the URL: when it is set, PostgreSQL is there (CI always sets it).
 */
export function testDialects(): TestDialect[] {
  const wanted = (process.env.FLOTILLA_TEST_DIALECTS ?? 'sqlite,postgres').split(',').map((d) => d.trim());
  const dialects: TestDialect[] = [];
  if (wanted.includes('sqlite')) dialects.push('sqlite');
  if (wanted.includes('postgres') && process.env.FLOTILLA_TEST_DATABASE_URL) dialects.push('postgres');
  return dialects;
}

/** A fresh, empty PostgreSQL database; dropped by the returned function. */
export async function createPostgresDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const adminUrl = process.env.FLOTILLA_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('FLOTILLA_TEST_DATABASE_URL is not set');
  const name = `flotilla_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}
