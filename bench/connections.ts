/**
 * `npm run bench:connections`: 19,000 simultaneous authenticated device connections to Flotilla (Alibaba
 * sign-in, each device subscribed to its upgrade topic) vs the same connections to a bare Aedes, same run
 * (shared/BENCHMARKS.md: RSS ≤ 1.3× bare Aedes, and under 1 GiB).
 *
 *   node --import tsx bench/connections.ts [--devices 19000] [--concurrency 500] [--settle 70] [--rounds 1] [--write-results]
 *
 * The open-files limit (20,000 per process on these machines, not raisable) caps one process at ~19,500
 * sockets: the server holds 19,000, the load generator (a separate process, raw MQTT packets over net
 * sockets) the other ends. Devices are registered before the server starts, through Flotilla's own batch
 * registration service in this process (bench/support/fleet.ts). `--write-results` records the run in bench/RESULTS.md.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type BrokerUnderTest, openFilesLimit, startBareAedes, startFlotilla } from './support/broker-runs.js';
import { collectGarbage, freePort } from './support/inspector-gc.js';
import { type ConnectionsRound, writeConnectionsResults } from './support/connections-results.js';
import { openDatabaseReadOnly, seedFleet, writeSwarmDevices } from './support/fleet.js';
import { ensureBuilt, machine } from './support/machine.js';
import { benchWorkspace, cpuSecondsOf, stopChild, runBenchmark } from './support/processes.js';
import { rssMiB } from './support/range-load.js';
import { startSwarm } from './support/swarm-client.js';

const { values: flags } = parseArgs({
  options: {
    devices: { type: 'string', default: '19000' },
    concurrency: { type: 'string', default: '500' },
    // V8's memory reducer gives back a connect storm's garbage only after the process has idled a while (bare
    // Aedes: ~345 MiB 5 s after the storm, ~215–250 MiB 40 s after; Flotilla settled within 70 s, not always
    // within 40 s). BENCHMARKS.md's Aedes figure is a settled one too. Both brokers get the same wait.
    settle: { type: 'string', default: '70' },
    rounds: { type: 'string', default: '1' },
    'write-results': { type: 'boolean', default: false },
  },
});
const deviceCount = Number(flags.devices);
const concurrency = Number(flags.concurrency);
const settleS = Number(flags.settle);
const roundCount = Math.max(1, Number(flags.rounds));
const KEEPALIVE_S = 300;

const { workDir, children, cleanUp } = benchWorkspace('flotilla-bench-connections-');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function round(broker: BrokerUnderTest, inspectPort: number, devicesFile: string, dataDir: string): Promise<ConnectionsRound> {
  await sleep(2000);
  const idleRssMiB = rssMiB(broker.pid);
  const swarm = await startSwarm(children);
  let peak = idleRssMiB;
  const poll = setInterval(() => (peak = Math.max(peak, rssMiB(broker.pid))), 50);
  const cpuBefore = cpuSecondsOf(broker.pid);
  const loopBefore = cpuSecondsOf(broker.pid, true);
  const c = await swarm.connect({ host: '127.0.0.1', port: broker.mqttPort, devicesFile, from: 0, to: deviceCount, concurrency, keepaliveS: KEEPALIVE_S });
  const serverCpuS = cpuSecondsOf(broker.pid) - cpuBefore;
  const serverLoopCpuS = cpuSecondsOf(broker.pid, true) - loopBefore;
  // Settled RSS: what the broker keeps for the connections once the connect storm's garbage is collected.
  await sleep(settleS * 1000);
  clearInterval(poll);
  const connectedRssMiB = rssMiB(broker.pid);
  // Then what stays after full collections: the settled RSS above depends on where the GC cycle happened to be.
  const afterGc = await collectGarbage(inspectPort);
  const afterGcRssMiB = rssMiB(broker.pid);
  const status = await swarm.status();
  let online: number | undefined;
  let gauge: number | undefined;
  if (broker.name === 'flotilla') {
    const db = openDatabaseReadOnly(dataDir);
    online = (db.prepare(`SELECT count(*) AS n FROM device WHERE status = 'ONLINE' AND deleted_at IS NULL`).get() as { n: number }).n;
    db.close();
    const metrics = await (await fetch(`${broker.httpUrl}/metrics`)).text();
    gauge = Number(/^flotilla_device_connections (\d+)/m.exec(metrics)?.[1] ?? NaN);
  }
  await swarm.close();
  await stopChild(swarm.child);
  await stopChild(broker.child, 60_000);
  const connectS = (c.lastAt - c.firstAt) / 1000;
  return {
    broker: broker.name,
    connected: c.connected,
    stillConnected: status.ready,
    refused: c.refused,
    failed: c.failed,
    connectS,
    connectsPerS: c.connected / connectS,
    serverCpuS,
    serverLoopCpuS,
    generatorCpuS: c.cpuS,
    idleRssMiB,
    connectedRssMiB,
    peakRssMiB: Math.max(peak, connectedRssMiB),
    afterGcRssMiB,
    afterGcHeapMiB: afterGc.heapUsed / 1024 / 1024,
    online,
    gauge,
  };
}

function print(r: ConnectionsRound): void {
  const perConn = ((r.connectedRssMiB - r.idleRssMiB) * 1024) / r.connected;
  console.log(
    `${r.broker.padEnd(9)} ${String(r.connected).padStart(6)} ${String(r.refused + r.failed).padStart(5)} ${r.connectsPerS.toFixed(0).padStart(7)} ` +
      `${((r.serverCpuS / r.connected) * 1e6).toFixed(0).padStart(6)} ${((r.serverCpuS / r.connectS) * 100).toFixed(0).padStart(5)}% ${((r.generatorCpuS / r.connectS) * 100).toFixed(0).padStart(5)}% ` +
      `${r.idleRssMiB.toFixed(0).padStart(6)} ${r.connectedRssMiB.toFixed(0).padStart(6)} ${r.peakRssMiB.toFixed(0).padStart(6)} ${perConn.toFixed(1).padStart(6)} ` +
      `${r.afterGcRssMiB.toFixed(0).padStart(6)} ${r.afterGcHeapMiB.toFixed(0).padStart(6)}` +
      (r.online === undefined ? '' : `   ONLINE in DB ${r.online}, gauge ${r.gauge}`),
  );
}

async function main(): Promise<void> {
  const started = Date.now();
  const atStart = machine();
  ensureBuilt();
  const limit = openFilesLimit();
  console.log(`open files: soft ${limit.soft}, hard ${limit.hard} (inherited by the server and the generator)`);
  if (limit.soft < deviceCount + 200) console.warn(`WARNING: ${deviceCount} sockets need an open-files limit above ${deviceCount + 200}`);
  const key = { accessKeyId: `BENCH${randomBytes(6).toString('hex')}`, accessKeySecret: randomBytes(16).toString('hex') };
  const dataDir = join(workDir, 'data');
  const seedStart = Date.now();
  const fleet = await seedFleet(dataDir, key, deviceCount);
  const devicesFile = join(workDir, 'devices.json');
  writeSwarmDevices(devicesFile, fleet);
  console.log(`registered ${deviceCount} devices in ${((Date.now() - seedStart) / 1000).toFixed(1)} s; load average ${atStart.loadAverage}`);

  const rounds: ConnectionsRound[] = [];
  console.log(`\nbroker    conns  fail  conn/s µs/con srvCPU genCPU idleMiB connMiB peakMiB KiB/conn gcRSS gcHeap`);
  for (let i = 0; i < roundCount; i++) {
    // F A, A F, …: background load falls on both alike.
    const order = i % 2 === 0 ? (['flotilla', 'aedes'] as const) : (['aedes', 'flotilla'] as const);
    for (const name of order) {
      // The inspector lets the bench force full GCs for the second RSS figure (same flag, same cost, in both).
      const inspectPort = await freePort();
      const inspect = [`--inspect=127.0.0.1:${inspectPort}`];
      const broker = name === 'flotilla' ? await startFlotilla(children, dataDir, key, inspect) : await startBareAedes(children, inspect);
      const r = await round(broker, inspectPort, devicesFile, dataDir);
      print(r);
      rounds.push(r);
    }
  }
  const median = (name: string) => {
    const mine = rounds.filter((r) => r.broker === name).sort((a, b) => a.connectedRssMiB - b.connectedRssMiB);
    return mine[Math.floor(mine.length / 2)]!;
  };
  const f = median('flotilla');
  const a = median('aedes');
  const ratio = f.connectedRssMiB / a.connectedRssMiB;
  const perConnRatio = (f.connectedRssMiB - f.idleRssMiB) / (a.connectedRssMiB - a.idleRssMiB);
  const meets = ratio <= 1.3 && f.connectedRssMiB < 1024;
  const gcRatio = f.afterGcRssMiB / a.afterGcRssMiB;
  console.log(
    `\nRSS with ${deviceCount} connected: Flotilla ${f.connectedRssMiB.toFixed(0)} MiB vs bare Aedes ${a.connectedRssMiB.toFixed(0)} MiB: ratio ${ratio.toFixed(2)}× ` +
      `(${meets ? 'meets' : 'MISSES'} the goal ≤ 1.3× and < 1 GiB); per connection ${perConnRatio.toFixed(2)}× (idle RSS subtracted)`,
  );
  console.log(`after full GCs: Flotilla ${f.afterGcRssMiB.toFixed(0)} MiB (heap ${f.afterGcHeapMiB.toFixed(0)}) vs ${a.afterGcRssMiB.toFixed(0)} MiB (heap ${a.afterGcHeapMiB.toFixed(0)}): ${gcRatio.toFixed(2)}×`);
  console.log(`connect rate ${f.connectsPerS.toFixed(0)}/s vs ${a.connectsPerS.toFixed(0)}/s (${(f.connectsPerS / a.connectsPerS).toFixed(2)}×)`);
  const problems = rounds.filter((r) => r.connected !== deviceCount || r.stillConnected !== deviceCount || (r.online !== undefined && r.online !== deviceCount));
  if (problems.length > 0) console.log('WARNING: not every device connected, stayed connected and showed ONLINE; the figures are not valid.');
  const end = machine();
  console.log(`whole run ${((Date.now() - started) / 1000).toFixed(0)} s; load average after ${end.loadAverage}; ${atStart.cores} cores, ${atStart.cpuModel}, Node ${atStart.node}, ${atStart.date}`);
  if (flags['write-results']) {
    writeConnectionsResults({ devices: deviceCount, concurrency, settleS, rounds: roundCount, flotilla: f, aedes: a, ratio, gcRatio, perConnRatio, machine: atStart, loadAfter: end.loadAverage, limit });
    console.log('recorded in bench/RESULTS.md');
  }
}

runBenchmark(main, cleanUp);
