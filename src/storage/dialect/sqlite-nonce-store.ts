import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';

/**
 * Where SQLite keeps API nonces: a file of their own beside the main database, written by a worker thread.
 *
 * Why (bench/RESULTS.md, API): a nonce is random, so every one lands on a different page of the nonce
 * index, and every batch commit wrote tens of WAL pages and, at each checkpoint, copied them back, all
 * on the event loop — a fifth of the time of a cheap signed call. It also invalidated the fast reader's
 * page cache and `data_version`, though no row anyone reads had changed. In a separate file written by
 * a worker, none of this touches the event loop or the main database. A worker on the main file
 * instead would be a second writer there: every deferred transaction of the server that reads before
 * it writes would then fail with SQLITE_BUSY whenever a nonce batch committed in between.
 *
 * Guarantees stay those of the api_nonce table: a nonce is committed (WAL, synchronous NORMAL like the
 * main file) before its request is answered; a restart or a second instance on the same data dir
 * shares the file. On first use, the nonces still in the main file's api_nonce (written before this
 * store existed; purged there as before) are copied over, so an upgrade opens no replay window.
 */
export interface NonceStore {
  /** Inserts the pairs (distinct within the call); true for each that was not stored before. */
  record(entries: readonly { accessKeyId: string; nonce: string; expiresAt: number }[]): Promise<boolean[]>;
  /** Deletes nonces that expired before `now`; the number deleted. */
  purge(now: number): Promise<number>;
  close(): Promise<void>;
}

export const NONCE_FILE = 'flotilla-nonces.db';

// CommonJS, evaluated in the worker: the same source serves the built package and the TypeScript tests.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 10000');
db.exec('create table if not exists api_nonce (access_key_id text not null, nonce text not null, expires_at integer not null, primary key (access_key_id, nonce)) without rowid');
db.exec('create index if not exists api_nonce_expiry on api_nonce (expires_at)');
try {
  db.prepare('attach database ? as legacy').run(workerData.mainFile);
  // "where true": without it SQLite would read ON CONFLICT as part of the select's join.
  db.prepare('insert into api_nonce select access_key_id, nonce, expires_at from legacy.api_nonce where true on conflict do nothing').run();
  db.exec('detach database legacy');
} catch (err) {
  // A main file without api_nonce has nothing to carry over.
  if (!/no such table/.test(String(err && err.message))) throw err;
  try { db.exec('detach database legacy'); } catch {}
}
const insert = db.prepare('insert into api_nonce (access_key_id, nonce, expires_at) values (?, ?, ?) on conflict do nothing');
const recordAll = db.transaction((keys, nonces, expires) => keys.map((k, i) => insert.run(k, nonces[i], expires[i]).changes > 0));
const purge = db.prepare('delete from api_nonce where expires_at < ?');
parentPort.on('message', (m) => {
  try {
    if (m.op === 'record') parentPort.postMessage({ id: m.id, result: recordAll(m.keys, m.nonces, m.expires) });
    else if (m.op === 'purge') parentPort.postMessage({ id: m.id, result: purge.run(m.now).changes });
    else if (m.op === 'close') { db.close(); parentPort.postMessage({ id: m.id, result: true }); }
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: String(err && err.stack || err) });
  }
});
`;

interface Pending {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/** `mainFile`: the main database file; the nonce file sits beside it. The worker starts on first use. */
export function createNonceStore(mainFile: string): NonceStore {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, Pending>();
  let closed = false;

  function failAll(err: Error): void {
    worker = undefined;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  }

  function start(): Worker {
    const w = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { driver: createRequire(import.meta.url).resolve('better-sqlite3'), file: join(dirname(mainFile), NONCE_FILE), mainFile },
    });
    w.on('message', (m: { id: number; result?: unknown; error?: string }) => {
      const p = pending.get(m.id);
      if (p === undefined) return;
      pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`nonce store: ${m.error}`));
      else p.resolve(m.result);
    });
    // A broken worker fails what it held; the next call starts a new one.
    w.on('error', (err) => {
      if (worker === w) failAll(err);
    });
    w.on('exit', (code) => {
      if (worker === w) failAll(new Error(`nonce store worker exited (${code})`));
    });
    // Idle, it must not keep the process alive; while a call waits, the caller's own work does.
    w.unref();
    return w;
  }

  function call<T>(message: Record<string, unknown>): Promise<T> {
    if (closed) return Promise.reject(new Error('nonce store closed'));
    worker ??= start();
    const id = nextId++;
    const w = worker;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      w.postMessage({ ...message, id });
    });
  }

  return {
    record(entries) {
      if (entries.length === 0) return Promise.resolve([]);
      return call<boolean[]>({
        op: 'record',
        keys: entries.map((e) => e.accessKeyId),
        nonces: entries.map((e) => e.nonce),
        expires: entries.map((e) => e.expiresAt),
      });
    },
    purge: (now) => call<number>({ op: 'purge', now }),
    async close() {
      if (closed) return;
      const w = worker;
      if (w !== undefined) await call({ op: 'close' }).catch(() => undefined);
      closed = true;
      worker = undefined;
      if (w !== undefined) await w.terminate();
    },
  };
}
