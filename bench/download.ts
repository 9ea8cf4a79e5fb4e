/**
 * `npm run bench:download`: 100 concurrent clients fetching a firmware package in 1–4 MiB ranges from
 * Flotilla's signed download endpoint, and in the same run from a minimal node:http static file server
 * serving the same bytes (shared/BENCHMARKS.md, goal ≥ 0.8×). Run for a 50 MB and a 5 MB package, each in a
 * fresh Flotilla, to show that Flotilla's peak RSS does not grow with the file size.
 *
 *   node --import tsx bench/download.ts [--duration 12] [--warmup 2] [--clients 100] [--write-results]
 *
 * The package goes through the real flow: GenerateOTAUploadURL → multipart POST → CreateOTAFirmware →
 * QueryOTAFirmware, whose FirmwareUrl is the signed URL the clients fetch. `--write-results` records the
 * run in bench/RESULTS.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ChildProcess } from 'node:child_process';
import { flotillaEnv, type Key } from './support/fleet.js';
import { iot, sdkClient } from '../test/support/clients.js';
import { uploadFile } from '../test/support/oss-form.js';
import { writeDownloadResults, type DownloadRun, type SizeRun } from './support/download-results.js';
import { ensureBuilt, machine, ROOT } from './support/machine.js';
import { benchWorkspace, startChild, stopChild, runBenchmark } from './support/processes.js';
import { combineRuns, type RangeLoadResult, resetPeakRss, rssMiB, runRangeLoad } from './support/range-load.js';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '12' },
    warmup: { type: 'string', default: '2' },
    clients: { type: 'string', default: '100' },
    'write-results': { type: 'boolean', default: false },
  },
});
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const clients = Number(flags.clients);
const MB = 1_000_000;
const ROUNDS = 4;

const { workDir, children, cleanUp } = benchWorkspace('flotilla-bench-download-');

const newKey = (): Key => ({ accessKeyId: `BENCH${randomBytes(6).toString('hex')}`, accessKeySecret: randomBytes(16).toString('hex') });
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** One whole GET, checked byte for byte: the load below only counts lengths. */
async function checkWhole(url: string, content: Buffer): Promise<void> {
  const res = await fetch(url);
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200 || sha256(body) !== sha256(content)) throw new Error(`${url} did not serve the package (${res.status}, ${body.length} bytes)`);
}

async function startFlotilla(name: string, key: Key = newKey()): Promise<{ child: ChildProcess; url: string; key: Key }> {
  const started = await startChild(
    process.execPath,
    [join(ROOT, 'bin/flotilla.js'), 'serve'],
    flotillaEnv(join(workDir, name), key),
    /Flotilla listening on (http:\/\/[\d.:]+)/,
  );
  children.push(started.child);
  return { child: started.child, url: started.match[1]!, key };
}

/** Uploads and registers `content` through the official API flow; returns QueryOTAFirmware's signed URL. */
async function registerPackage(flotillaUrl: string, key: Key, content: Buffer): Promise<string> {
  const sdk = sdkClient(flotillaUrl.replace(/^http:\/\//, ''), key, 'v3');
  const slot = await uploadFile(sdk, content);
  const created = await sdk.createOTAFirmware(
    new iot.CreateOTAFirmwareRequest({
      firmwareName: `bench_${content.length}`,
      destVersion: '1.0.0',
      firmwareUrl: slot.firmwareUrl,
      signMethod: 'SHA256',
      firmwareSign: sha256(content),
      firmwareSize: content.length,
      needToVerify: false,
    }),
  );
  if (created.body.success !== true) throw new Error(`CreateOTAFirmware failed: ${created.body.code}`);
  const queried = await sdk.queryOTAFirmware(new iot.QueryOTAFirmwareRequest({ firmwareId: created.body.data!.firmwareId! }));
  const url = queried.body.firmwareInfo?.firmwareUrl;
  if (url === undefined) throw new Error(`QueryOTAFirmware gave no FirmwareUrl: ${queried.body.code}`);
  return url;
}

async function runSize(sizeBytes: number, seconds: number): Promise<SizeRun> {
  const content = randomBytes(sizeBytes);
  const name = `pkg-${sizeBytes / MB}mb.bin`;
  const staticDir = join(workDir, 'static');
  mkdirSync(staticDir, { recursive: true });
  writeFileSync(join(staticDir, name), content);

  // Registered in one Flotilla process, served by a fresh one on the same data dir: the load's RSS then
  // carries nothing of the upload (the signed URL's path and query stay valid; only the port changes).
  const dataName = `data-${sizeBytes / MB}mb`;
  const uploader = await startFlotilla(dataName);
  const registeredUrl = new URL(await registerPackage(uploader.url, uploader.key, content));
  await stopChild(uploader.child);
  const flotilla = await startFlotilla(dataName, uploader.key);
  const rssIdle = rssMiB(flotilla.child.pid!);
  const signedUrl = flotilla.url + registeredUrl.pathname + registeredUrl.search;
  const stat = await startChild(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/static-file-server.ts'), staticDir], process.env, /static listening on (http:\/\/[\d.:]+)/);
  children.push(stat.child);
  const staticUrl = `${stat.match[1]!}/${name}`;
  await checkWhole(signedUrl, content);
  await checkWhole(staticUrl, content);

  const fPid = flotilla.child.pid!;
  const sPid = stat.child.pid!;
  const signed = new URL(signedUrl);
  const fTarget = { baseUrl: signed.origin, path: signed.pathname + signed.search, size: sizeBytes, clients, serverPid: fPid };
  const sTarget = { baseUrl: stat.match[1]!, path: `/${name}`, size: sizeBytes, clients, serverPid: sPid };
  await runRangeLoad({ ...fTarget, durationS: warmupS });
  await runRangeLoad({ ...sTarget, durationS: warmupS });
  // The peak of the timed runs only: start-up and the upload came before them.
  const hwmReset = resetPeakRss(fPid);
  // The machine is shared: the timed seconds alternate between the two servers in ROUNDS slices (F S S F …),
  // so background load and drift fall on both alike.
  const fRuns: RangeLoadResult[] = [];
  const sRuns: RangeLoadResult[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const order = round % 2 === 0 ? (['f', 's'] as const) : (['s', 'f'] as const);
    for (const which of order) {
      if (which === 'f') fRuns.push(await runRangeLoad({ ...fTarget, durationS: seconds / ROUNDS }));
      else sRuns.push(await runRangeLoad({ ...sTarget, durationS: seconds / ROUNDS }));
    }
  }
  const hwmAfter = rssMiB(fPid, 'VmHWM');
  const f = combineRuns(fRuns);
  const s = combineRuns(sRuns);
  await stopChild(flotilla.child);
  await stopChild(stat.child);
  return {
    sizeBytes,
    flotilla: f,
    baseline: s,
    ratio: f.mbPerS / s.mbPerS,
    flotillaRss: { idleMiB: rssIdle, loadPeakMiB: hwmReset ? Math.max(hwmAfter, f.serverPeakRssMiB) : f.serverPeakRssMiB },
  };
}

function verdict(r: RangeLoadResult): string {
  const gen = r.generatorCpuS / r.durationS;
  const server = r.serverCpuS / r.durationS;
  if (gen >= 0.9) return `generator-bound (${(gen * 100).toFixed(0)}% of a core)`;
  if (server >= 0.9) return 'server-bound';
  if (gen + server >= 1.8) return 'both cores busy';
  return 'neither saturated';
}

async function main(): Promise<void> {
  const started = Date.now();
  ensureBuilt();
  const m = machine();
  console.log(`${clients} clients, 1–4 MiB ranges, warm-up ${warmupS} s, timed ${durationS} s (5 MB: ${Math.ceil(durationS / 2)} s); load average ${m.loadAverage}`);
  const big = await runSize(50 * MB, durationS);
  const small = await runSize(5 * MB, Math.ceil(durationS / 2));
  const run: DownloadRun = { clients, durationS, big, small, machine: m, verdicts: [verdict(big.flotilla), verdict(big.baseline)] };
  report(run, started);
  if (flags['write-results']) {
    writeDownloadResults(run);
    console.log('recorded in bench/RESULTS.md');
  }
}

function report(run: DownloadRun, started: number): void {
  const row = (label: string, r: RangeLoadResult) =>
    `${label.padEnd(34)} ${r.mbPerS.toFixed(0).padStart(6)} ${String(r.requests).padStart(6)} ${((r.serverCpuS / r.durationS) * 100).toFixed(0).padStart(5)}% ` +
    `${((r.generatorCpuS / r.durationS) * 100).toFixed(0).padStart(5)}% ${r.serverPeakRssMiB.toFixed(0).padStart(6)} ${String(r.failures).padStart(5)}  ${verdict(r)}`;
  console.log(`\n${'server'.padEnd(34)}   MB/s   reqs  srvCPU  genCPU  RSSMiB fails  bound`);
  for (const size of [run.big, run.small]) {
    const mb = `${size.sizeBytes / MB} MB`;
    console.log(row(`Flotilla signed download, ${mb}`, size.flotilla));
    console.log(row(`node:http static file, ${mb}`, size.baseline));
  }
  const goal = run.big.ratio >= 0.8 ? 'meets the goal 0.8' : 'BELOW the goal 0.8';
  console.log(`\nratio at 50 MB ${run.big.ratio.toFixed(2)}× (${goal}); at 5 MB ${run.small.ratio.toFixed(2)}×`);
  const [b, s] = [run.big.flotillaRss, run.small.flotillaRss];
  console.log(
    `Flotilla peak RSS under load: ${b.loadPeakMiB.toFixed(0)} MiB with 50 MB, ${s.loadPeakMiB.toFixed(0)} MiB with 5 MB ` +
      `(${(b.loadPeakMiB - s.loadPeakMiB).toFixed(0)} MiB apart for 45 MB more file); ` +
      `idle after start ${b.idleMiB.toFixed(0)} / ${s.idleMiB.toFixed(0)} MiB`,
  );
  const failures = [run.big, run.small].reduce((n, z) => n + z.flotilla.failures + z.baseline.failures, 0);
  if (failures > 0) console.log(`WARNING: ${failures} failed requests during the timed runs; the figures are not valid.`);
  console.log(`whole run ${((Date.now() - started) / 1000).toFixed(0)} s; machine: ${run.machine.cores} cores, ${run.machine.cpuModel}, Node ${run.machine.node}, ${run.machine.date}`);
}

runBenchmark(main, cleanUp);
