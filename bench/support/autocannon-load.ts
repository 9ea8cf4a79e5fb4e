import autocannon from 'autocannon';
import type { LoadResult } from './load-result.js';
import { cpuSecondsOf } from './processes.js';
import type { PresignedPool } from './presigned.js';

/**
 * The fallback generator when wrk is missing: autocannon in this process (a JavaScript generator costs
 * more CPU per request than wrk, so it becomes the bottleneck sooner; the report says when it did).
 */
export async function runAutocannon(opts: { url: string; connections: number; durationS: number; serverPid: number; pool?: PresignedPool }): Promise<LoadResult> {
  const pool = opts.pool;
  let next = 0;
  const requests = pool
    ? [
        {
          method: 'GET' as const,
          path: pool.path,
          // Each request takes the next pre-signed nonce; autocannon rebuilds the request for it.
          setupRequest: (req: Record<string, unknown>) => {
            const e = pool.entries[next++ % pool.entries.length]!;
            return {
              ...req,
              headers: { ...Object.fromEntries(pool.headers), 'x-acs-signature-nonce': e.nonce, authorization: pool.authorizationPrefix + e.signature },
            };
          },
        },
      ]
    : undefined;
  const serverBefore = cpuSecondsOf(opts.serverPid);
  const loopBefore = cpuSecondsOf(opts.serverPid, true);
  const cpuBefore = process.cpuUsage();
  const r = await autocannon({ url: opts.url, connections: opts.connections, duration: opts.durationS, requests });
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuS = cpuSecondsOf(opts.serverPid) - serverBefore;
  const serverLoopCpuS = cpuSecondsOf(opts.serverPid, true) - loopBefore;
  const durationS = r.duration;
  return {
    requests: r.requests.total,
    durationS,
    rps: r.requests.total / durationS,
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    failures: r.non2xx + r.errors + r.timeouts,
    generatorCpuS: (cpu.user + cpu.system) / 1e6,
    serverCpuS,
    serverLoopCpuS,
  };
}
