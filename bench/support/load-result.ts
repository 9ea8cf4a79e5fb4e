/** One timed load run against one server, as both generators report it. */
export interface LoadResult {
  readonly requests: number;
  readonly durationS: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Answers outside 2xx/3xx (a replayed nonce would show here) plus socket errors and timeouts. */
  readonly failures: number;
  /** CPU seconds the load generator spent during the run. */
  readonly generatorCpuS: number;
  /** CPU seconds the server process spent during the run (all threads: GC, I/O). */
  readonly serverCpuS: number;
  /** Of which its main thread, the event loop. */
  readonly serverLoopCpuS: number;
}
