import { recordResults, sectionMarkers } from './results-md.js';
import type { Machine } from './machine.js';

const { start: START, end: END } = sectionMarkers('connections');
const ROW_KEY = '| MQTT connections:';

/** One broker's connect storm and what it kept afterwards. */
export interface ConnectionsRound {
  broker: 'flotilla' | 'aedes';
  /** CONNACK 0 and SUBACK received. */
  connected: number;
  /** Still open when the RSS was read. */
  stillConnected: number;
  refused: number;
  failed: number;
  /** First CONNECT to last SUBACK. */
  connectS: number;
  connectsPerS: number;
  serverCpuS: number;
  serverLoopCpuS: number;
  generatorCpuS: number;
  idleRssMiB: number;
  connectedRssMiB: number;
  peakRssMiB: number;
  /** RSS and live heap after two forced full collections (inspector HeapProfiler.collectGarbage). */
  afterGcRssMiB: number;
  afterGcHeapMiB: number;
  /** Flotilla only: devices ONLINE in the database, and the flotilla_device_connections gauge. */
  online?: number;
  gauge?: number;
}

export interface ConnectionsRun {
  devices: number;
  concurrency: number;
  settleS: number;
  rounds: number;
  flotilla: ConnectionsRound;
  aedes: ConnectionsRound;
  ratio: number;
  gcRatio: number;
  perConnRatio: number;
  machine: Machine;
  loadAfter: string;
  limit: { soft: number; hard: number };
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (cpuS: number, s: number) => `${((cpuS / s) * 100).toFixed(0)}%`;

function row(name: string, r: ConnectionsRound): string {
  const perConn = ((r.connectedRssMiB - r.idleRssMiB) * 1024) / r.connected;
  return (
    `| ${name} | ${n(r.connected)} (${r.refused + r.failed} failed) | ${n(r.connectsPerS)} | ${n((r.serverCpuS / r.connected) * 1e6)} | ` +
    `${pct(r.serverCpuS, r.connectS)} (loop ${pct(r.serverLoopCpuS, r.connectS)}) | ${pct(r.generatorCpuS, r.connectS)} | ` +
    `${r.idleRssMiB.toFixed(0)} | **${r.connectedRssMiB.toFixed(0)}** | ${r.peakRssMiB.toFixed(0)} | ${perConn.toFixed(1)} | ${r.afterGcRssMiB.toFixed(0)} (heap ${r.afterGcHeapMiB.toFixed(0)}) |`
  );
}

/** Writes this run's summary row and section (between markers), leaving everything else in the file alone. */
export function writeConnectionsResults(run: ConnectionsRun): void {
  const m = run.machine;
  const { flotilla: f, aedes: a } = run;
  const goal = run.ratio <= 1.3 && f.connectedRssMiB < 1024 ? 'meets the goal' : 'MISSES the goal';
  const summary =
    `${ROW_KEY} ${n(run.devices)} signed-in devices, RSS vs bare Aedes (\`npm run bench:connections\`) | ${f.connectedRssMiB.toFixed(0)} MiB, ${n(f.connectsPerS)} connects/s | ` +
    `${a.connectedRssMiB.toFixed(0)} MiB, ${n(a.connectsPerS)} connects/s | ${run.ratio.toFixed(2)}× | ≤ 1.3× and < 1 GiB | ${m.date.slice(0, 10)} |`;
  const section = `${START}
## MQTT connections: ${n(run.devices)} signed-in devices vs bare Aedes (\`npm run bench:connections\`)

Measured ${m.date} on ${m.cores} cores (${m.cpuModel}), Node ${m.node}; load average before the run ${m.loadAverage},
after ${run.loadAfter}. Open files: soft ${run.limit.soft}, hard ${run.limit.hard} per process (not raisable here), so
${n(run.devices)} connections, the server holding one end and the load generator the other.
Flotilla: \`node bin/flotilla.js serve\`, SQLite, ${n(run.devices)} devices of one product registered before the
start through its batch registration service (bench/support/fleet.ts). Baseline: bench/bare-aedes.ts (Aedes 1.2,
no hooks, plain net server, in-memory persistence), run under plain node like Flotilla. Generator: one child
process with raw MQTT 3.1.1 packets over net sockets (bench/support/mqtt-swarm.ts), ${run.concurrency} connects in
flight; each device sends the Node SDK's CONNECT (ClientId \`pk&dn|securemode=3,signmethod=hmacsha1,timestamp=…|\`,
HMAC-SHA1 password, keep-alive 300 s), then SUBSCRIBEs to its \`/ota/device/upgrade/{pk}/{dn}\` at QoS 1; a
device counts once its SUBACK arrived. RSS (VmRSS, MiB) idle 2 s after start, and ${run.settleS} s after the
last SUBACK (settled); peak polled every 50 ms; then RSS and live heap after two full collections forced
through the inspector (both brokers run with \`--inspect\` for that). CPU over the connect storm (first CONNECT to last SUBACK).
${run.rounds > 1 ? `Median of ${run.rounds} alternating rounds by settled RSS.` : 'One round each, Flotilla first.'}

| Broker | connected | connects/s | server CPU µs/connect | server CPU | generator CPU | idle RSS | RSS, all connected | peak RSS | KiB/connection | RSS after full GC |
|---|---|---|---|---|---|---|---|---|---|---|
${row('Flotilla', f)}
${row('bare Aedes', a)}

Flotilla at the end: ${f.online === undefined ? '?' : n(f.online)} devices ONLINE in the database, gauge
\`flotilla_device_connections\` ${f.gauge ?? '?'}, ${n(f.stillConnected)} connections still open.
Ratio **${run.ratio.toFixed(2)}×** (RSS with all connected; ${goal} ≤ 1.3× and < 1 GiB); per connection, idle RSS
subtracted, ${run.perConnRatio.toFixed(2)}×; after full GCs ${run.gcRatio.toFixed(2)}×. Connect rate ${(f.connectsPerS / a.connectsPerS).toFixed(2)}× bare Aedes.
${END}`;
  recordResults('connections', ROW_KEY, summary, section);
}
