import pg from 'pg';

/**
 * Says plainly which dialects run. With FLOTILLA_TEST_DATABASE_URL set, PostgreSQL must be reachable (a
 * broken CI database fails the run instead of silently skipping half of it).
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.FLOTILLA_TEST_DATABASE_URL;
  if (!url) {
    console.warn(
      '\n[flotilla tests] FLOTILLA_TEST_DATABASE_URL is not set: the PostgreSQL runs of every storage suite are SKIPPED.\n' +
        '                 .ci/run starts PostgreSQL and sets it; see the README to run them locally.\n',
    );
    return;
  }
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
    await client.query('select 1');
  } catch (err) {
    throw new Error(`FLOTILLA_TEST_DATABASE_URL is set but PostgreSQL is not reachable: ${(err as Error).message}`);
  } finally {
    await client.end().catch(() => {});
  }
}
