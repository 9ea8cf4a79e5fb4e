/**
 * Group commit for small writes that arrive in storms (device sign-ins, version reports, progress reports):
 * items queued in the same turn of the event loop — and all that queue while a batch is being written —
 * share one transaction. Batches are written one at a time, in arrival order, so two events about the same
 * row (a sign-in and the disconnect that follows) are applied in the order they happened.
 * BENCHMARKS.md: one durable commit per event caps ingestion at a few thousand per second; batches of
 * 1,000 reach tens of thousands.
 */
export interface GroupCommit<T> {
  /** Queues an item; resolves once the batch holding it is committed, rejects if that batch failed. */
  add(item: T): Promise<void>;
  /** Resolves when everything queued so far is written (or failed). */
  drain(): Promise<void>;
  /** Items waiting or being written. */
  readonly pending: number;
}

interface Waiting<T> {
  item: T;
  resolve(): void;
  reject(err: unknown): void;
}

export function createGroupCommit<T>(write: (items: T[]) => Promise<void>, options: { maxBatch?: number } = {}): GroupCommit<T> {
  const maxBatch = options.maxBatch ?? 1000;
  let queue: Waiting<T>[] = [];
  let writing: Promise<void> | undefined;
  let inFlight = 0;

  async function writeAll(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      inFlight = batch.length;
      try {
        await write(batch.map((w) => w.item));
        for (const w of batch) w.resolve();
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
      return new Promise<void>((resolve, reject) => {
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
