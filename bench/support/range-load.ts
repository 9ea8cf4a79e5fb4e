import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { cpuSecondsOf } from './processes.js';

export interface RangeLoadResult {
  readonly durationS: number;
  readonly requests: number;
  readonly bytes: number;
  readonly mbPerS: number;
  /** Wrong status, wrong length, socket errors. */
  readonly failures: number;
  readonly generatorCpuS: number;
  readonly serverCpuS: number;
  /** Highest VmRSS seen while polling every 50 ms during the run, in MiB. */
  readonly serverPeakRssMiB: number;
}

const MiB = 1024 * 1024;

/** Resident set size of a live process, in MiB (VmRSS or VmHWM from /proc/<pid>/status). */
export function rssMiB(pid: number, field: 'VmRSS' | 'VmHWM' = 'VmRSS'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Resets a process's VmHWM to its current RSS (proc(5) clear_refs, value 5); false where not allowed. */
export function resetPeakRss(pid: number): boolean {
  try {
    // 'r+': /proc refuses the O_TRUNC that writeFileSync's default 'w' asks for on some kernels.
    const fd = openSync(`/proc/${pid}/clear_refs`, 'r+');
    try {
      writeSync(fd, '5');
    } finally {
      closeSync(fd);
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * `clients` concurrent keep-alive clients, each fetching `path` range after range (random offsets, 1–4 MiB
 * long) for `durationS` seconds, the bodies counted and dropped. MB/s counts body bytes (1 MB = 10^6 B).
 */
export async function runRangeLoad(opts: { baseUrl: string; path: string; size: number; clients: number; durationS: number; serverPid: number }): Promise<RangeLoadResult> {
  const target = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: opts.clients, maxFreeSockets: opts.clients });
  const deadline = Date.now() + opts.durationS * 1000;
  let requests = 0;
  let bytes = 0;
  let failures = 0;
  let peakRss = rssMiB(opts.serverPid);
  const poll = setInterval(() => {
    peakRss = Math.max(peakRss, rssMiB(opts.serverPid));
  }, 50);

  const fetchRange = (start: number, end: number) =>
    new Promise<void>((resolve) => {
      const req = request(
        { host: target.hostname, port: Number(target.port), path: opts.path, agent, headers: { range: `bytes=${start}-${end}` } },
        (res) => {
          let got = 0;
          res.on('data', (c: Buffer) => (got += c.length));
          res.on('end', () => {
            bytes += got;
            requests++;
            if (res.statusCode !== 206 || got !== end - start + 1) failures++;
            resolve();
          });
          res.on('error', () => {
            failures++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        failures++;
        resolve();
      });
      req.end();
    });

  const client = async () => {
    while (Date.now() < deadline) {
      const length = Math.min(opts.size, MiB + Math.floor(Math.random() * 3 * MiB));
      const start = Math.floor(Math.random() * (opts.size - length + 1));
      await fetchRange(start, start + length - 1);
    }
  };

  const serverBefore = cpuSecondsOf(opts.serverPid);
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: opts.clients }, () => client()));
  const durationS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const serverCpuS = cpuSecondsOf(opts.serverPid) - serverBefore;
  clearInterval(poll);
  peakRss = Math.max(peakRss, rssMiB(opts.serverPid));
  agent.destroy();
  return {
    durationS,
    requests,
    bytes,
    mbPerS: bytes / 1e6 / durationS,
    failures,
    generatorCpuS: (cpu.user + cpu.system) / 1e6,
    serverCpuS,
    serverPeakRssMiB: peakRss,
  };
}

/** Several runs against one server as one: totals summed, peak RSS the highest. */
export function combineRuns(runs: readonly RangeLoadResult[]): RangeLoadResult {
  const sum = (f: (r: RangeLoadResult) => number) => runs.reduce((n, r) => n + f(r), 0);
  const durationS = sum((r) => r.durationS);
  const bytes = sum((r) => r.bytes);
  return {
    durationS,
    requests: sum((r) => r.requests),
    bytes,
    mbPerS: bytes / 1e6 / durationS,
    failures: sum((r) => r.failures),
    generatorCpuS: sum((r) => r.generatorCpuS),
    serverCpuS: sum((r) => r.serverCpuS),
    serverPeakRssMiB: Math.max(...runs.map((r) => r.serverPeakRssMiB)),
  };
}
