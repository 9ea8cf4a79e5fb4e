/**
 * `npm run bench:api`: signed V3 QueryDeviceDetail against Flotilla on SQLite vs a bare Fastify hello-world,
 * both in child processes, same load generator, same run (shared/BENCHMARKS.md, goal ≥ 0.35×, stretch 0.5×).
 *
 *   node --import tsx bench/api.ts [--duration 10] [--warmup 3] [--connections 64] [--rounds 1]
 *                                  [--generator wrk|autocannon] [--write-results] [--profile]
 *
 * wrk (Debian: `apt-get install -y wrk`) is used when installed, autocannon otherwise. Requests come from a
 * pool signed before the timed run, each nonce once. `--write-results` records the run in bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { operations } from '../src/api/ops/index.js';
import { iot, sdkClient } from '../test/support/clients.js';
import { ensureBuilt, type Machine, machine, ROOT } from './support/machine.js';
import { runAutocannon } from './support/autocannon-load.js';
import type { LoadResult } from './support/load-result.js';
import { summariseProfiles } from './support/cpu-profile.js';
import { presign, writePoolFile } from './support/presigned.js';
import { benchWorkspace, startChild, stopChild, runBenchmark } from './support/processes.js';
import { writeApiResults } from './support/results-file.js';
import { hasWrk, runWrk } from './support/wrk-load.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '64' },
    generator: { type: 'string' },
    rounds: { type: 'string', default: '1' },
    'write-results': { type: 'boolean', default: false },
    // Runs Flotilla under `node --cpu-prof` and prints where its CPU went.
    profile: { type: 'boolean', default: false },
  },
});
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const connections = Number(flags.connections);
const roundCount = Math.max(1, Number(flags.rounds));
const generator = flags.generator ?? (hasWrk() ? 'wrk' : 'autocannon');
// Until QueryDeviceDetail is registered, the bench falls back to QueryProduct (also one point read).
const action = operations.some((op) => op.action === 'QueryDeviceDetail') ? 'QueryDeviceDetail' : 'QueryProduct';

const { workDir, children, cleanUp } = benchWorkspace('flotilla-bench-');

async function load(name: string, url: string, pid: number, seconds: number, pool?: ReturnType<typeof presign>): Promise<LoadResult> {
  if (generator === 'autocannon') return runAutocannon({ url, connections, durationS: seconds, serverPid: pid, pool });
  let poolFile: string | undefined;
  if (pool) writePoolFile((poolFile = join(workDir, `${name}.pool`)), pool);
  return runWrk({ url, connections, durationS: seconds, serverPid: pid, workDir, name, pool, poolFile });
}

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machine();
  ensureBuilt();
  const key = { accessKeyId: `BENCH${randomBytes(6).toString('hex')}`, accessKeySecret: randomBytes(16).toString('hex') };
  const flotilla = await startChild(
    process.execPath,
    [...(flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${join(workDir, 'profile')}`] : []), join(ROOT, 'bin/flotilla.js'), 'serve'],
    {
      ...process.env,
      FLOTILLA_HOST: '127.0.0.1',
      FLOTILLA_HTTP_PORT: '0',
      FLOTILLA_MQTT_PORT: '0',
      FLOTILLA_DATA_DIR: join(workDir, 'data'),
      FLOTILLA_DATABASE_URL: '',
      FLOTILLA_ACCESS_KEY_ID: key.accessKeyId,
      FLOTILLA_ACCESS_KEY_SECRET: key.accessKeySecret,
      FLOTILLA_RATE_LIMITS: 'off',
      FLOTILLA_LOG_LEVEL: 'warn',
    },
    /Flotilla listening on (http:\/\/[\d.:]+)/,
  );
  children.push(flotilla.child);
  const hello = await startChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/fastify-hello.ts')], process.env, /hello listening on (http:\/\/[\d.:]+)/);
  children.push(hello.child);
  const flotillaUrl = flotilla.match[1]!;
  const helloUrl = hello.match[1]!;
  const host = flotillaUrl.replace(/^http:\/\//, '');

  // One product, one device, through the official SDK.
  const sdk = sdkClient(host, key);
  const product = await sdk.createProduct(new iot.CreateProductRequest({ productName: 'bench_product', nodeType: 0 }));
  if (product.body.success !== true) throw new Error(`CreateProduct failed: ${product.body.code}`);
  const productKey = product.body.productKey!;
  const device = await sdk.registerDevice(new iot.RegisterDeviceRequest({ productKey, deviceName: 'bench_device' }));
  if (device.body.success !== true) throw new Error(`RegisterDevice failed: ${device.body.code}`);
  const query: Record<string, string> = action === 'QueryDeviceDetail' ? { ProductKey: productKey, DeviceName: 'bench_device' } : { ProductKey: productKey };

  // The pooled request really answers Success: true (the generators only see the HTTP status).
  const probe = presign({ key, host, action, query, count: 1 });
  const probeRes = await fetch(flotillaUrl + probe.path, {
    headers: { ...Object.fromEntries(probe.headers), 'x-acs-signature-nonce': probe.entries[0]!.nonce, authorization: probe.authorizationPrefix + probe.entries[0]!.signature },
  });
  const probeBody = (await probeRes.json()) as { Success?: boolean; Code?: string };
  if (probeRes.status !== 200 || probeBody.Success !== true) throw new Error(`the pre-signed ${action} fails: ${JSON.stringify(probeBody)}`);

  const flotillaPid = flotilla.child.pid!;
  const helloPid = hello.child.pid!;
  console.log(`generator ${generator}, ${connections} connections, warm-up ${warmupS} s, timed ${durationS} s; load average ${atStart.loadAverage}`);
  const warmPool = presign({ key, host, action, query, count: Math.ceil(20_000 * warmupS) });
  const warm = await load('warm', flotillaUrl, flotillaPid, warmupS, warmPool);
  await load('hello-warm', helloUrl, helloPid, warmupS);
  // Rounds alternate the two servers; the round with the median ratio is the one reported (the machine is noisy).
  const rounds: { flotilla: LoadResult; hello: LoadResult }[] = [];
  for (let round = 1; round <= roundCount; round++) {
    // Room for 1.6× the warm-up rate: a pool that ran dry would replay nonces (400s, counted as failures).
    const signStart = Date.now();
    const pool = presign({ key, host, action, query, count: Math.ceil(Math.max(warm.rps, 5_000) * durationS * 1.6) + 10_000 });
    console.log(`round ${round}: signed a pool of ${pool.entries.length} requests in ${((Date.now() - signStart) / 1000).toFixed(1)} s (warm-up rate ${warm.rps.toFixed(0)} req/s)`);
    const flotillaRun = await load(`flotilla-${round}`, flotillaUrl, flotillaPid, durationS, pool);
    const helloRun = await load(`hello-${round}`, helloUrl, helloPid, durationS);
    rounds.push({ flotilla: flotillaRun, hello: helloRun });
    if (roundCount > 1) console.log(`round ${round}: ${flotillaRun.rps.toFixed(0)} vs ${helloRun.rps.toFixed(0)} req/s, ratio ${(flotillaRun.rps / helloRun.rps).toFixed(3)}`);
  }
  rounds.sort((a, b) => a.flotilla.rps / a.hello.rps - b.flotilla.rps / b.hello.rps);
  const median = rounds[Math.floor(rounds.length / 2)]!;
  report(median.flotilla, median.hello, started, atStart);
  if (flags.profile) {
    await stopChild(flotilla.child);
    console.log(`\nFlotilla CPU profile (whole process life: start, set-up, warm-up and timed run)\n${summariseProfiles(join(workDir, 'profile'))}`);
    if (process.env.FLOTILLA_BENCH_KEEP_PROFILE) cpSync(join(workDir, 'profile'), process.env.FLOTILLA_BENCH_KEEP_PROFILE, { recursive: true });
  }
}

/** What limited a run: a process at ≥ 90% of a core is saturated (wrk runs one thread, Node one event loop). */
function verdict(r: LoadResult): string {
  const gen = r.generatorCpuS / r.durationS;
  const loop = r.serverLoopCpuS / r.durationS;
  if (gen >= 0.9) return `generator-bound (generator at ${(gen * 100).toFixed(0)}% of a core)`;
  if (loop >= 0.9) return `server-bound (event loop at ${(loop * 100).toFixed(0)}% of a core)`;
  if ((r.serverCpuS + r.generatorCpuS) / r.durationS >= 1.8) return 'both cores busy';
  return `neither saturated (event loop ${(loop * 100).toFixed(0)}%, generator ${(gen * 100).toFixed(0)}%: cores shared with other work)`;
}

function report(f: LoadResult, h: LoadResult, started: number, m: Machine): void {
  const ratio = f.rps / h.rps;
  const row = (name: string, r: LoadResult) =>
    `${name.padEnd(32)} ${r.rps.toFixed(0).padStart(7)} ${r.p50Ms.toFixed(2).padStart(7)} ${r.p99Ms.toFixed(2).padStart(7)} ` +
    `${((r.serverCpuS / r.durationS) * 100).toFixed(0).padStart(5)}% ${((r.serverLoopCpuS / r.durationS) * 100).toFixed(0).padStart(5)}% ${((r.serverCpuS / r.requests) * 1e6).toFixed(0).padStart(6)} ` +
    `${((r.generatorCpuS / r.durationS) * 100).toFixed(0).padStart(5)}% ${String(r.failures).padStart(6)}  ${verdict(r)}`;
  console.log(`\n${'server'.padEnd(32)}   req/s  p50 ms  p99 ms  srvCPU  (loop)  µs/req  genCPU  fails  bound`);
  console.log(row(`Flotilla ${action} (signed V3)`, f));
  console.log(row('Fastify hello-world', h));
  const goal = ratio >= 0.5 ? 'meets the stretch goal 0.5' : ratio >= 0.35 ? 'meets the goal 0.35' : 'BELOW the goal 0.35';
  console.log(`\nratio ${ratio.toFixed(2)}× (${goal}); whole run ${((Date.now() - started) / 1000).toFixed(0)} s`);
  if (f.failures > 0 || h.failures > 0) console.log('WARNING: failed requests during the timed runs; the figures are not valid.');
  console.log(`machine: ${m.cores} cores, ${m.cpuModel}, Node ${m.node}, ${m.date}`);
  if (flags['write-results']) {
    writeApiResults({ action, generator, connections, durationS, rounds: roundCount, flotilla: f, hello: h, ratio, machine: m, verdicts: [verdict(f), verdict(h)] });
    console.log('recorded in bench/RESULTS.md');
  }
}

runBenchmark(main, cleanUp);
