import { Kysely, Migrator, type Transaction, sql } from 'kysely';
import type { Database } from './schema.js';
import { migrations } from './migrations/index.js';
import { createSqliteDialect, openFastReader, type SqliteWriter, sqliteTraits } from './dialect/sqlite.js';
import { enableFastPaths } from './hot-query.js';
import { createNonceStore } from './dialect/sqlite-nonce-store.js';
import { createPostgresDialect, postgresTraits } from './dialect/postgres.js';
import type { DialectTraits } from './dialect/traits.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;

export interface Storage {
  readonly db: Db;
  readonly traits: DialectTraits;
  /** Cheap round trip, for /healthz. */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StorageOptions {
  /** postgres://… selects PostgreSQL; undefined selects SQLite in dataDir. */
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
}

/** Opens the database and applies pending migrations. */
export async function openStorage(options: StorageOptions): Promise<Storage> {
  const { storage, writer } = connect(options);
  try {
    await migrateToLatest(storage.db);
  } catch (err) {
    await storage.close();
    throw err;
  }
  if (writer === undefined) return storage;
  const reader = openFastReader(options.dataDir);
  const nonces = createNonceStore(writer.database.name);
  enableFastPaths(storage.db, { reader, writer, nonces });
  return {
    ...storage,
    async close() {
      await nonces.close();
      reader.close();
      await storage.close();
    },
  };
}

function connect(options: StorageOptions): { storage: Storage; writer?: SqliteWriter } {
  if (options.databaseUrl !== undefined) {
    const { dialect } = createPostgresDialect(options.databaseUrl);
    return { storage: wrap(new Kysely<Database>({ dialect }), postgresTraits) };
  }
  const { dialect, writer } = createSqliteDialect(options.dataDir);
  return { storage: wrap(new Kysely<Database>({ dialect }), sqliteTraits), writer };
}

function wrap(db: Db, traits: DialectTraits): Storage {
  let closed = false;
  return {
    db,
    traits,
    async ping() {
      if (closed) return false;
      try {
        await sql`select 1`.execute(db);
        return true;
      } catch {
        return false;
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

async function migrateToLatest(db: Db): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } });
  // Two instances starting at once: PostgreSQL serialises them with Kysely's advisory lock; on SQLite the
  // loser of the race sees SQLITE_BUSY and simply tries again after the winner committed.
  for (let attempt = 1; ; attempt++) {
    const { error } = await migrator.migrateToLatest();
    if (error === undefined) return;
    if (attempt >= 5) throw error instanceof Error ? error : new Error(String(error));
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}

/** Runs `work` in one transaction; the service layer opens transactions, repositories never do. */
export function inTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(work);
}
