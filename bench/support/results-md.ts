import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './machine.js';

const FILE = join(ROOT, 'bench/RESULTS.md');

// The opening of bench/RESULTS.md, for whichever benchmark records first.
const HEADER = `# Benchmark results

Every figure comes from a script in \`bench/\` and sits beside a baseline measured in the same run
(shared/BENCHMARKS.md). The machines are shared and noisy: ratios hold, absolute numbers move.

## Summary

| Benchmark | Flotilla | Baseline | Ratio | Goal | Measured |
|---|---|---|---|---|---|
`;

/** Markers around one benchmark's section; its summary row starts with `rowKey`. */
export function sectionMarkers(name: string): { start: string; end: string } {
  return { start: `<!-- bench:${name}:start -->`, end: `<!-- bench:${name}:end -->` };
}

/**
 * Writes one benchmark's figures into bench/RESULTS.md: its row of the summary table (replaced, or added at
 * the table's end) and its section between the markers (replaced, or appended). Other content stays.
 */
export function recordResults(name: string, rowKey: string, summaryRow: string, section: string): void {
  const { start, end } = sectionMarkers(name);
  let text = existsSync(FILE) ? readFileSync(FILE, 'utf8') : HEADER;
  const lines = text.split('\n');
  const at = lines.findIndex((l) => l.startsWith(rowKey));
  if (at >= 0) lines[at] = summaryRow;
  else {
    let last = lines.findIndex((l) => l.startsWith('| Benchmark |'));
    if (last < 0) throw new Error(`${FILE} has no summary table starting with "| Benchmark |"`);
    while ((lines[last + 1] ?? '').startsWith('|')) last++;
    lines.splice(last + 1, 0, summaryRow);
  }
  text = lines.join('\n');
  const s = text.indexOf(start);
  const e = text.indexOf(end);
  text = s >= 0 && e > s ? text.slice(0, s) + section + text.slice(e + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  writeFileSync(FILE, text);
}
