import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load-result.js';
import { cpuSecondsOf } from './processes.js';
import type { PresignedPool } from './presigned.js';

/** True when `wrk` is on the PATH (Debian: `apt-get install -y wrk`). */
export function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
}

const lua = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r/g, '\\r').replace(/\n/g, '\\n')}"`;

// done() runs once in wrk's main Lua state after the run; os.clock() there is the CPU of the whole
// process (every thread), init() prints it once loading is over so that loading is not counted.
const DONE = `
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRK_RESULT {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"failures":%d,"cpu_s":%.3f}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout, os.clock()))
end
`;

/** A wrk script sending the pool's requests in order, each once (wraps around only if the pool runs dry). */
function pooledScript(pool: PresignedPool): string {
  const head = `GET ${pool.path} HTTP/1.1\r\n${pool.headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}x-acs-signature-nonce: `;
  return `
local head = ${lua(head)}
local mid = ${lua(`\r\nauthorization: ${pool.authorizationPrefix}`)}
local tail = ${lua('\r\n\r\n')}
local nonces, sigs, n, i = {}, {}, 0, 0
function init(args)
  for line in io.lines(args[1]) do
    n = n + 1
    nonces[n] = string.sub(line, 1, 32)
    sigs[n] = string.sub(line, 34)
  end
  io.stderr:write(string.format('WRK_INIT_CPU %.3f\\n', os.clock()))
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return head .. nonces[i] .. mid .. sigs[i] .. tail
end
${DONE}`;
}

const staticScript = `
function init(args)
  io.stderr:write(string.format('WRK_INIT_CPU %.3f\\n', os.clock()))
end
${DONE}`;

/**
 * One wrk run (one thread, so the generator uses at most one core) with `connections` keep-alive
 * connections for `durationS`; the server's CPU is read from /proc around it.
 */
export async function runWrk(opts: {
  url: string;
  connections: number;
  durationS: number;
  serverPid: number;
  workDir: string;
  name: string;
  pool?: PresignedPool;
  poolFile?: string;
}): Promise<LoadResult> {
  const script = join(opts.workDir, `${opts.name}.lua`);
  writeFileSync(script, opts.pool ? pooledScript(opts.pool) : staticScript);
  const args = ['-t1', `-c${opts.connections}`, `-d${opts.durationS}s`, '--timeout', '5s', '-s', script, opts.url];
  if (opts.poolFile) args.push('--', opts.poolFile);
  const serverBefore = cpuSecondsOf(opts.serverPid);
  const loopBefore = cpuSecondsOf(opts.serverPid, true);
  const { stdout, stderr, code } = await run('wrk', args);
  const serverCpuS = cpuSecondsOf(opts.serverPid) - serverBefore;
  const serverLoopCpuS = cpuSecondsOf(opts.serverPid, true) - loopBefore;
  const result = /WRK_RESULT (\{.*\})/.exec(stdout);
  if (code !== 0 || result === null) throw new Error(`wrk failed (${code}):\n${stdout}\n${stderr}`);
  const r = JSON.parse(result[1]!) as { requests: number; duration_us: number; p50_us: number; p99_us: number; failures: number; cpu_s: number };
  const initCpu = Number(/WRK_INIT_CPU ([\d.]+)/.exec(stderr)?.[1] ?? 0);
  const durationS = r.duration_us / 1e6;
  return {
    requests: r.requests,
    durationS,
    rps: r.requests / durationS,
    p50Ms: r.p50_us / 1000,
    p99Ms: r.p99_us / 1000,
    failures: r.failures,
    generatorCpuS: r.cpu_s - initCpu,
    serverCpuS,
    serverLoopCpuS,
  };
}

function run(command: string, args: string[]): Promise<{ stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ stdout, stderr, code }));
  });
}
