/**
 * `npm run bench:ingest`: 1,000 connected devices publishing OTA progress at QoS 1
 * (`/ota/device/progress/{pk}/{dn}`) as fast as their in-flight window allows, to Flotilla — which PUBACKs a
 * report only once it is committed to device_ota_progress (group commit) — and in the same run to a bare
 * Aedes receiving the same stream (shared/BENCHMARKS.md: persisted reports/s ≥ 0.5× bare Aedes).
 *
 *   node --import tsx bench/ingest.ts [--devices 1000] [--in-flight 4] [--duration 15] [--warmup 3]
 *                                     [--rounds 3] [--write-results] [--profile]
 *
 * Each device's messages carry steps 1–99 in turn; after the run every device's stored step must be the
 * step of its last PUBACKed message (the check that PUBACKed means persisted, and in order).
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BrokerUnderTest, startBareAedes, startFlotilla } from './support/broker-runs.js';
import { openDatabaseReadOnly, seedFleet, writeSwarmDevices } from './support/fleet.js';
import { type IngestRound, writeIngestResults } from './support/ingest-results.js';
import { ensureBuilt, machine } from './support/machine.js';
import { benchWorkspace, cpuSecondsOf, stopChild, runBenchmark } from './support/processes.js';
import { summariseProfiles } from './support/cpu-profile.js';
import { startSwarm, type Swarm } from './support/swarm-client.js';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '4' },
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    'write-results': { type: 'boolean', default: false },
    // Runs Flotilla under `node --cpu-prof` and prints where its CPU went.
    profile: { type: 'boolean', default: false },
  },
});
const deviceCount = Number(flags.devices);
const inFlight = Number(flags['in-flight']);
const durationS = Number(flags.duration);
const warmupS = Number(flags.warmup);
const roundCount = Math.max(1, Number(flags.rounds));

const { workDir, children, cleanUp } = benchWorkspace('flotilla-bench-ingest-');

/** One timed window against a broker whose devices are connected already. */
async function timedWindow(broker: BrokerUnderTest, swarm: Swarm): Promise<IngestRound> {
  const windowStartAt = Date.now() + warmupS * 1000;
  const windowEndAt = windowStartAt + durationS * 1000;
  const cpu: { server: number[]; loop: number[] } = { server: [], loop: [] };
  const read = () => {
    cpu.server.push(cpuSecondsOf(broker.pid));
    cpu.loop.push(cpuSecondsOf(broker.pid, true));
  };
  const t1 = setTimeout(read, windowStartAt - Date.now());
  const t2 = setTimeout(read, windowEndAt - Date.now());
  const r = await swarm.publish({ windowStartAt, windowEndAt, inFlight });
  clearTimeout(t1);
  clearTimeout(t2);
  return {
    broker: broker.name,
    ackedPerS: r.ackedInWindow / r.windowS,
    ackedInWindow: r.ackedInWindow,
    sent: r.sent,
    unacked: r.unacked,
    dropped: r.dropped,
    windowS: r.windowS,
    serverCpuS: cpu.server[1]! - cpu.server[0]!,
    serverLoopCpuS: cpu.loop[1]! - cpu.loop[0]!,
    generatorCpuS: r.generatorCpuS,
    lastSteps: r.lastSteps,
  };
}

/** Every device's stored progress shows the step of its last PUBACKed message. */
function checkPersisted(dataDir: string, productKey: string, lastSteps: IngestRound['lastSteps']): { matching: number; rows: number } {
  const db = openDatabaseReadOnly(dataDir);
  const rows = db
    .prepare(`SELECT d.device_name AS name, p.step AS step FROM device_ota_progress p JOIN device d ON d.id = p.device_id JOIN product pr ON pr.id = d.product_id WHERE pr.product_key = ?`)
    .all(productKey) as { name: string; step: number }[];
  db.close();
  const stored = new Map(rows.map((r) => [r.name, Number(r.step)]));
  // username is `dn&pk`.
  const matching = lastSteps.filter((d) => d.acked && stored.get(d.username.slice(0, d.username.lastIndexOf('&'))) === d.step).length;
  return { matching, rows: rows.length };
}

const verdict = (r: IngestRound) => {
  const gen = r.generatorCpuS / r.windowS;
  const loop = r.serverLoopCpuS / r.windowS;
  if (gen >= 0.9) return `generator-bound (generator ${(gen * 100).toFixed(0)}% of a core)`;
  if (loop >= 0.9) return `server-bound (event loop ${(loop * 100).toFixed(0)}%)`;
  if ((r.serverCpuS + r.generatorCpuS) / r.windowS >= 1.8) return 'both cores busy';
  return `neither saturated (loop ${(loop * 100).toFixed(0)}%, generator ${(gen * 100).toFixed(0)}%: cores shared with other work)`;
};

function print(r: IngestRound, persisted?: { matching: number; rows: number }): void {
  console.log(
    `${r.broker.padEnd(9)} ${r.ackedPerS.toFixed(0).padStart(8)} ${String(r.ackedInWindow).padStart(8)} ${String(r.unacked).padStart(4)} ` +
      `${((r.serverCpuS / r.windowS) * 100).toFixed(0).padStart(5)}% ${((r.serverCpuS / r.ackedInWindow) * 1e6).toFixed(1).padStart(6)} ${((r.generatorCpuS / r.windowS) * 100).toFixed(0).padStart(5)}%  ` +
      `${verdict(r)}${persisted ? `; stored = last acked step for ${persisted.matching}/${deviceCount} devices` : ''}`,
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machine();
  ensureBuilt();
  const key = { accessKeyId: `BENCH${randomBytes(6).toString('hex')}`, accessKeySecret: randomBytes(16).toString('hex') };
  const dataDir = join(workDir, 'data');
  const fleet = await seedFleet(dataDir, key, deviceCount);
  const devicesFile = join(workDir, 'devices.json');
  writeSwarmDevices(devicesFile, fleet);
  console.log(`${deviceCount} devices, ${inFlight} in flight each, warm-up ${warmupS} s, timed ${durationS} s, ${roundCount} rounds; load average ${atStart.loadAverage}`);

  // Both brokers stay up with their devices connected; rounds alternate between them (F A, A F, …).
  const profileDir = join(workDir, 'profile');
  const brokers = [await startFlotilla(children, dataDir, key, flags.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), await startBareAedes(children)];
  const swarms: Swarm[] = [];
  for (const broker of brokers) {
    const swarm = await startSwarm(children);
    const c = await swarm.connect({ host: '127.0.0.1', port: broker.mqttPort, devicesFile, from: 0, to: deviceCount, concurrency: 200, keepaliveS: 300 });
    if (c.connected !== deviceCount) throw new Error(`${broker.name}: ${c.connected} of ${deviceCount} devices connected (${c.refused} refused, ${c.failed} failed)`);
    swarms.push(swarm);
  }
  console.log(`\nbroker      acks/s    acked  lost srvCPU µs/msg genCPU  bound`);
  const results: { f: IngestRound; a: IngestRound; persisted: { matching: number; rows: number } }[] = [];
  for (let i = 0; i < roundCount; i++) {
    const order = i % 2 === 0 ? [0, 1] : [1, 0];
    const got: IngestRound[] = [];
    let persisted = { matching: 0, rows: 0 };
    for (const b of order) {
      const r = await timedWindow(brokers[b]!, swarms[b]!);
      if (b === 0) persisted = checkPersisted(dataDir, fleet.productKey, r.lastSteps);
      print(r, b === 0 ? persisted : undefined);
      got[b] = r;
    }
    results.push({ f: got[0]!, a: got[1]!, persisted });
  }
  results.sort((x, y) => x.f.ackedPerS / x.a.ackedPerS - y.f.ackedPerS / y.a.ackedPerS);
  const median = results[Math.floor(results.length / 2)]!;
  const ratio = median.f.ackedPerS / median.a.ackedPerS;
  console.log(`\nratio ${ratio.toFixed(2)}× (${ratio >= 0.5 ? 'meets' : 'MISSES'} the goal ≥ 0.5×), median of ${roundCount} rounds`);
  if (median.persisted.matching !== deviceCount) console.log(`WARNING: only ${median.persisted.matching} of ${deviceCount} devices show their last PUBACKed step in device_ota_progress.`);
  for (const s of swarms) await s.close();
  for (const b of brokers) await stopChild(b.child, 30_000);
  if (flags.profile) console.log(`\nFlotilla CPU profile (whole process life, mostly the timed windows)\n${summariseProfiles(profileDir)}`);
  const end = machine();
  console.log(`whole run ${((Date.now() - started) / 1000).toFixed(0)} s; load average after ${end.loadAverage}; ${atStart.cores} cores, ${atStart.cpuModel}, Node ${atStart.node}, ${atStart.date}`);
  if (flags['write-results']) {
    writeIngestResults({
      devices: deviceCount,
      inFlight,
      durationS,
      warmupS,
      rounds: roundCount,
      flotilla: median.f,
      aedes: median.a,
      persisted: median.persisted,
      ratio,
      verdicts: [verdict(median.f), verdict(median.a)],
      machine: atStart,
      loadAfter: end.loadAverage,
    });
    console.log('recorded in bench/RESULTS.md');
  }
}

runBenchmark(main, cleanUp);
