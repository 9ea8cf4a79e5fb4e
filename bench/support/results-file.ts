import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadResult } from './load-result.js';
import { type Machine, ROOT } from './machine.js';

const FILE = join(ROOT, 'bench/RESULTS.md');
const START = '<!-- bench:api:start -->';
const END = '<!-- bench:api:end -->';
const ROW_KEY = '| API: signed V3';

const HEADER = `# Benchmark results

Every figure comes from a script in \`bench/\` and sits beside a baseline measured in the same run
(shared/BENCHMARKS.md). The machines are shared and noisy: ratios hold, absolute numbers move.

## Summary

| Benchmark | Flotilla | Baseline | Ratio | Goal | Measured |
|---|---|---|---|---|---|
`;

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

  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(ROW_KEY));
  if (at >= 0) lines[at] = summary;
  else {
    // Append to the summary table (the first table of the file), or start one.
    let end = lines.findIndex((l) => l.startsWith('| Benchmark |'));
    if (end < 0) throw new Error(`${FILE} has no summary table starting with "| Benchmark |"`);
    while ((lines[end + 1] ?? '').startsWith('|')) end++;
    lines.splice(end + 1, 0, summary);
  }
  text = lines.join('\n');
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  text = s >= 0 && e > s ? text.slice(0, s) + section + text.slice(e + END.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(FILE, text);
}
