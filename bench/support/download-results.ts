import { recordResults, sectionMarkers } from './results-md.js';
import type { Machine } from './machine.js';
import type { RangeLoadResult } from './range-load.js';

const { start: START, end: END } = sectionMarkers('download');
const ROW_KEY = '| Downloads:';

export interface SizeRun {
  sizeBytes: number;
  flotilla: RangeLoadResult;
  baseline: RangeLoadResult;
  ratio: number;
  flotillaRss: { idleMiB: number; loadPeakMiB: number };
}

export interface DownloadRun {
  clients: number;
  durationS: number;
  big: SizeRun;
  small: SizeRun;
  machine: Machine;
  verdicts: [string, string];
}

const pct = (cpuS: number, s: number) => `${((cpuS / s) * 100).toFixed(0)}%`;

function row(name: string, r: RangeLoadResult): string {
  return `| ${name} | ${r.mbPerS.toFixed(0)} | ${r.requests} | ${pct(r.serverCpuS, r.durationS)} | ${pct(r.generatorCpuS, r.durationS)} | ${r.serverPeakRssMiB.toFixed(0)} | ${r.failures} |`;
}

/** Writes this run's summary row and section (between markers), leaving everything else in the file alone. */
export function writeDownloadResults(run: DownloadRun): void {
  const m = run.machine;
  const { big, small } = run;
  const summary =
    `${ROW_KEY} 100 clients, 1–4 MiB ranges of a 50 MB package vs node:http static file server (\`npm run bench:download\`) | ` +
    `${big.flotilla.mbPerS.toFixed(0)} MB/s, peak RSS ${big.flotillaRss.loadPeakMiB.toFixed(0)} MiB (5 MB file: ${small.flotillaRss.loadPeakMiB.toFixed(0)} MiB) | ` +
    `${big.baseline.mbPerS.toFixed(0)} MB/s | ${big.ratio.toFixed(2)}× | ≥ 0.8×; RSS flat in file size | ${m.date.slice(0, 10)} |`;
  const section = `${START}
## Downloads: ${run.clients} clients with ranges vs a node:http static file server (\`npm run bench:download\`)

Measured ${m.date} on ${m.cores} cores (${m.cpuModel}), Node ${m.node}; load average before the run ${m.loadAverage}.
Flotilla (\`node bin/flotilla.js serve\`, SQLite) holds the package, uploaded and registered through
GenerateOTAUploadURL → PostObject → CreateOTAFirmware; the clients fetch QueryOTAFirmware's signed URL. The
baseline (bench/static-file-server.ts) is bare node:http + fs.createReadStream with single-range support, in
its own process. Generator: this script, ${run.clients} keep-alive clients each fetching random 1–4 MiB ranges
back to back (node:http, bodies counted and dropped), ${run.durationS} s per server at 50 MB and
${Math.ceil(run.durationS / 2)} s at 5 MB after a warm-up, in 4 alternating slices per server (F S S F …) so that
background load falls on both alike. MB = 10^6 bytes; RSS in MiB, polled every 50 ms (and VmHWM reset
before the timed run). Each package size in a fresh Flotilla, started after the upload.

| Server | MB/s | requests | server CPU | generator CPU | peak RSS MiB | failures |
|---|---|---|---|---|---|---|
${row('Flotilla, 50 MB package', big.flotilla)}
${row('node:http static, 50 MB file', big.baseline)}
${row('Flotilla, 5 MB package', small.flotilla)}
${row('node:http static, 5 MB file', small.baseline)}

Ratio **${big.ratio.toFixed(2)}×** at 50 MB (goal ≥ 0.8×; ${run.verdicts[0]} / ${run.verdicts[1]}), ${small.ratio.toFixed(2)}× at 5 MB.
Flotilla's peak RSS during the timed run: **${big.flotillaRss.loadPeakMiB.toFixed(0)} MiB** with the 50 MB package,
**${small.flotillaRss.loadPeakMiB.toFixed(0)} MiB** with the 5 MB one, each in a fresh process (${big.flotillaRss.idleMiB.toFixed(0)} and
${small.flotillaRss.idleMiB.toFixed(0)} MiB idle after start): files are streamed, never held in memory; what memory the load takes
goes with the number of concurrent clients, not with the file size.
${END}`;

  recordResults('download', ROW_KEY, summary, section);
}
