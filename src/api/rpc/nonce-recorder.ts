import { nonceKey, recordNonces, type NonceEntry } from '../../storage/repos/nonce-repo.js';
import type { Db } from '../../storage/db.js';
import { createGroupCommit } from '../../storage/group-commit.js';

/**
 * Replay protection with group commit (rpc-protocol §4.3). Every nonce is in the database before its
 * request is answered, so neither a restart nor a second instance can be replayed against; but the
 * nonces of requests arriving together share one INSERT and one commit. One commit per request cost
 * about a tenth of a millisecond and a WAL page or two on SQLite (bench/RESULTS.md).
 */
export interface NonceRecorder {
  /** Resolves true when the nonce was new, false when it was used before. */
  record(accessKeyId: string, nonce: string, expiresAt: number): Promise<boolean>;
}

type Pending = NonceEntry & { key: string };

export function createNonceRecorder(db: Db): NonceRecorder {
  // One batch at a time: what arrives while one is written forms the next, larger batch (each batch costs a
  // commit and, on SQLite, a message to the nonce store's thread), so batches are not capped.
  const commits = createGroupCommit<Pending, boolean>(
    async (batch) => {
      // The first request of a pair in one batch wins; the second is a replay.
      const first = new Map<string, Pending>();
      for (const entry of batch) if (!first.has(entry.key)) first.set(entry.key, entry);
      const inserted = await recordNonces(db, [...first.values()]);
      return batch.map((entry) => first.get(entry.key) === entry && inserted.has(entry.key));
    },
    { maxBatch: Number.POSITIVE_INFINITY },
  );
  return {
    record: (accessKeyId, nonce, expiresAt) => commits.add({ accessKeyId, nonce, expiresAt, key: nonceKey(accessKeyId, nonce) }),
  };
}
