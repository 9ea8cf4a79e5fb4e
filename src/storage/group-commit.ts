/**
 * Group commit for small writes that arrive in storms (device sign-ins, version reports, progress reports):
 * items queued in the same turn of the event loop — and all that queue while a batch is being written —
 * share one transaction. Batches are written one at a time, in arrival order, so two events about the same
 * row (a sign-in and the disconnect that follows) are applied in the order they happened.
 * BENCHMARKS.md: one durable commit per event caps ingestion at a few thousand per second; batches of
 * 1,000 reach tens of thousands.
 */
export interface GroupCommit<T, R = void> {
  /** Queues an item; resolves with its result once the batch holding it is committed, rejects if that batch failed. */
  add(item: T): Promise<R>;
  /** Resolves when everything queued so far is written (or failed). */
  drain(): Promise<void>;
  /** Items waiting or being written. */
  readonly pending: number;
}

interface Waiting<T, R> {
  item: T;
  resolve(result: R): void;
  reject(err: unknown): void;
}

/**
 * `write` stores one batch in one transaction; it may return one result per item, in order (the nonce
 * recorder answers "new or replayed" per nonce), or nothing.
 */
export function createGroupCommit<T, R = void>(
  write: (items: T[]) => Promise<R[] | void>,
  options: { maxBatch?: number } = {},
): GroupCommit<T, R> {
  const maxBatch = options.maxBatch ?? 1000;
  let queue: Waiting<T, R>[] = [];
  let writing: Promise<void> | undefined;
  let inFlight = 0;

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      try {
        const results = await write(batch.map((w) => w.item));
        batch.forEach((w, i) => w.resolve(results?.[i] as R));
      } catch (err) {
        for (const w of batch) w.reject(err);
      }
      inFlight = 0;
    }
    writing = undefined;
  }

  function schedule(): void {
    // After the current I/O phase, so events parsed in the same turn of the event loop share a batch.
    writing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(writeAll);
  }

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    async drain() {
      while (writing !== undefined) await writing;
    },
    get pending() {
      return queue.length + inFlight;
    },
  };
}
