import { recordResults, sectionMarkers } from './results-md.js';
import type { LoadResult } from './load-result.js';
import type { Machine } from './machine.js';

const { start: START, end: END } = sectionMarkers('api');
const ROW_KEY = '| API: signed V3';

export interface ApiRun {
  action: string;
  generator: string;
  connections: number;
  durationS: number;
  rounds: number;
  flotilla: LoadResult;
  hello: LoadResult;
  ratio: number;
  machine: Machine;
  verdicts: [string, string];
}

const n = (v: number) => Math.round(v).toLocaleString('en-US');

function row(name: string, r: LoadResult, verdict: string): string {
  return `| ${name} | ${n(r.rps)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ${((r.serverCpuS / r.durationS) * 100).toFixed(0)}% (loop ${((r.serverLoopCpuS / r.durationS) * 100).toFixed(0)}%) | ${((r.serverCpuS / r.requests) * 1e6).toFixed(0)} | ${((r.generatorCpuS / r.durationS) * 100).toFixed(0)}% | ${r.failures} | ${verdict} |`;
}

/** Writes this run's summary row and section (between markers), leaving everything else in the file alone. */
export function writeApiResults(run: ApiRun): void {
  const m = run.machine;
  const summary = `${ROW_KEY} ${run.action} vs Fastify hello-world (\`npm run bench:api\`) | ${n(run.flotilla.rps)} req/s | ${n(run.hello.rps)} req/s | ${run.ratio.toFixed(2)}× | ≥ 0.35× (stretch 0.5×) | ${m.date.slice(0, 10)} |`;
  const section = `${START}
## API: signed V3 ${run.action} vs Fastify hello-world (\`npm run bench:api\`)

Measured ${m.date} on ${m.cores} cores (${m.cpuModel}), Node ${m.node}; load average before the run ${m.loadAverage}.
Both servers in child processes (Flotilla: \`node bin/flotilla.js serve\`, SQLite, FLOTILLA_RATE_LIMITS=off);
generator ${run.generator}, one thread, ${run.connections} keep-alive connections on loopback, ${run.durationS} s
after a warm-up; Flotilla gets pre-signed requests (each nonce once). ${run.rounds > 1 ? `Median of ${run.rounds} alternating rounds (by ratio).` : 'One round.'}

| Server | req/s | p50 ms | p99 ms | server CPU | CPU µs/req | generator CPU | failures | bound by |
|---|---|---|---|---|---|---|---|---|
${row(`Flotilla ${run.action}`, run.flotilla, run.verdicts[0])}
${row('Fastify hello-world', run.hello, run.verdicts[1])}

Ratio **${run.ratio.toFixed(2)}×** (goal ≥ 0.35×, stretch 0.5×).
${END}`;

  recordResults('api', ROW_KEY, summary, section);
}
