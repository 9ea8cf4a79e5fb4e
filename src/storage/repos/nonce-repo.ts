import type { Db } from '../db.js';
import { nonceStoreOf } from '../hot-query.js';

export interface NonceEntry {
  accessKeyId: string;
  nonce: string;
  expiresAt: number;
}

/**
 * Records nonces in one statement; returns the entries that were new. A pair already stored (or twice in
 * `entries`) is returned at most once, so racing requests with one nonce cannot both pass. On SQLite the
 * nonces live in a file of their own, written by a worker thread (dialect/sqlite-nonce-store.ts).
 */
export async function recordNonces(db: Db, entries: readonly NonceEntry[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  if (entries.length === 0) return inserted;
  const store = nonceStoreOf(db);
  if (store !== undefined) {
    const distinct = [...new Map(entries.map((e) => [nonceKey(e.accessKeyId, e.nonce), e])).values()];
    const isNew = await store.record(distinct);
    distinct.forEach((e, i) => isNew[i] && inserted.add(nonceKey(e.accessKeyId, e.nonce)));
    return inserted;
  }
  // 3 bound values a row keeps a chunk well under SQLite's 32,766-variable limit.
  for (let i = 0; i < entries.length; i += 1000) {
    const rows = await db
      .insertInto('api_nonce')
      .values(entries.slice(i, i + 1000).map((e) => ({ access_key_id: e.accessKeyId, nonce: e.nonce, expires_at: e.expiresAt })))
      .onConflict((oc) => oc.columns(['access_key_id', 'nonce']).doNothing())
      .returning(['access_key_id', 'nonce'])
      .execute();
    for (const row of rows) inserted.add(nonceKey(row.access_key_id, row.nonce));
  }
  return inserted;
}

export function nonceKey(accessKeyId: string, nonce: string): string {
  return `${accessKeyId}\u0000${nonce}`;
}

/** Also empties the main file's api_nonce on SQLite, where nonces recorded before the nonce file remain. */
export async function purgeExpiredNonces(db: Db, now: number): Promise<number> {
  const store = nonceStoreOf(db);
  const result = await db.deleteFrom('api_nonce').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows) + (store === undefined ? 0 : await store.purge(now));
}
