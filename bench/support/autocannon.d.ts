// autocannon ships no types; only what bench/support/autocannon-load.ts uses.
declare module 'autocannon' {
  interface Result {
    duration: number;
    requests: { total: number; average: number };
    latency: { p50: number; p99: number };
    non2xx: number;
    errors: number;
    timeouts: number;
  }
  interface Options {
    url: string;
    connections?: number;
    duration?: number;
    requests?: Record<string, unknown>[];
  }
  function autocannon(opts: Options): Promise<Result>;
  export default autocannon;
}
