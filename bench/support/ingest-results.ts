import { recordResults, sectionMarkers } from './results-md.js';
import type { Machine } from './machine.js';
import type { PublishReport } from './swarm-client.js';

const { start: START, end: END } = sectionMarkers('ingest');
const ROW_KEY = '| Progress ingest:';

/** One broker's timed window of QoS 1 progress messages. */
export interface IngestRound {
  broker: 'flotilla' | 'aedes';
  ackedPerS: number;
  ackedInWindow: number;
  sent: number;
  /** Sent but never PUBACKed (within 20 s after the window). */
  unacked: number;
  /** Connections lost during the run. */
  dropped: number;
  windowS: number;
  serverCpuS: number;
  serverLoopCpuS: number;
  generatorCpuS: number;
  lastSteps: PublishReport['lastSteps'];
}

export interface IngestRun {
  devices: number;
  inFlight: number;
  durationS: number;
  warmupS: number;
  rounds: number;
  flotilla: IngestRound;
  aedes: IngestRound;
  persisted: { matching: number; rows: number };
  ratio: number;
  verdicts: [string, string];
  machine: Machine;
  loadAfter: string;
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');
const pct = (cpuS: number, s: number) => `${((cpuS / s) * 100).toFixed(0)}%`;

function row(name: string, r: IngestRound, verdict: string): string {
  return (
    `| ${name} | **${n(r.ackedPerS)}** | ${n(r.ackedInWindow)} | ${pct(r.serverCpuS, r.windowS)} (loop ${pct(r.serverLoopCpuS, r.windowS)}) | ` +
    `${((r.serverCpuS / r.ackedInWindow) * 1e6).toFixed(1)} | ${pct(r.generatorCpuS, r.windowS)} | ${r.unacked} | ${verdict} |`
  );
}

/** Writes this run's summary row and section (between markers), leaving everything else in the file alone. */
export function writeIngestResults(run: IngestRun): void {
  const m = run.machine;
  const { flotilla: f, aedes: a } = run;
  const summary =
    `${ROW_KEY} ${n(run.devices)} devices, QoS 1 progress reports persisted vs bare Aedes PUBACKs (\`npm run bench:ingest\`) | ${n(f.ackedPerS)} msg/s | ` +
    `${n(a.ackedPerS)} msg/s | ${run.ratio.toFixed(2)}× | ≥ 0.5× | ${m.date.slice(0, 10)} |`;
  const section = `${START}
## Progress ingest: ${n(run.devices)} devices publishing QoS 1 progress vs bare Aedes (\`npm run bench:ingest\`)

Measured ${m.date} on ${m.cores} cores (${m.cpuModel}), Node ${m.node}; load average before the run ${m.loadAverage},
after ${run.loadAfter}.
Flotilla: \`node bin/flotilla.js serve\`, SQLite, ${n(run.devices)} devices registered before the start
(bench/support/fleet.ts), each signed in and subscribed to its upgrade topic; it PUBACKs a progress report only
once the report is committed to device_ota_progress (group commit). Baseline: bench/bare-aedes.ts (Aedes, no
hooks, nobody subscribed), same devices, same stream. Generator: one child process, raw MQTT packets
(bench/support/mqtt-swarm.ts); each device publishes \`{"id":"n","params":{"step":"s","desc":"downloading"}}\` at
QoS 1 to \`/ota/device/progress/{pk}/{dn}\`, ${run.inFlight} in flight per device (the next one on each PUBACK), steps 1–99 in
turn. Figure: PUBACKs received in ${run.durationS} s after a ${run.warmupS} s warm-up; CPU over the same window. Both brokers
keep their connections; ${run.rounds} alternating rounds, the one with the median ratio shown.

| Broker | PUBACKs/s | PUBACKs | server CPU | server CPU µs/msg | generator CPU | unacked | bound by |
|---|---|---|---|---|---|---|---|
${row('Flotilla (persisted)', f, run.verdicts[0])}
${row('bare Aedes', a, run.verdicts[1])}

Ratio **${run.ratio.toFixed(2)}×** (goal ≥ 0.5×). Persistence check after the Flotilla window: ${n(run.persisted.rows)} rows in
device_ota_progress; for ${n(run.persisted.matching)} of ${n(run.devices)} devices the stored step is the step of the device's
last PUBACKed message.
${END}`;
  recordResults('ingest', ROW_KEY, summary, section);
}
