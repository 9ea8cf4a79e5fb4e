import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Machine {
  readonly cores: number;
  readonly cpuModel: string;
  readonly node: string;
  readonly date: string;
  readonly loadAverage: string;
}

/** What the figures were measured on (BENCHMARKS.md: record machine and date). */
export function machine(): Machine {
  const model = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
  return {
    cores: availableParallelism(),
    cpuModel: model.trim(),
    node: process.version,
    date: new Date().toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    loadAverage: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** `npm run build` when dist/ is missing or older than src/, so `bin/flotilla.js` runs the current code. */
export function ensureBuilt(): void {
  const entry = join(ROOT, 'dist/cli/main.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  console.log('dist/ is older than src/: npm run build');
  const built = spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' });
  // tsc still emits when it reports type errors; go on with a warning if there is something to run.
  if (built.status !== 0) {
    if (!existsSync(entry)) throw new Error('npm run build failed and dist/ is missing');
    console.warn('WARNING: npm run build reported errors; benchmarking what it emitted.');
  }
}
