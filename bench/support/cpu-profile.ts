import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { ROOT } from './machine.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

/**
 * Top self-time entries of the `.cpuprofile` files `node --cpu-prof` left in `dir`: by function and by
 * file (dependencies grouped by package), as shares of all samples.
 */
export function summariseProfiles(dir: string, top = 20): string {
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'))) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
    for (const node of profile.nodes) {
      const hits = node.hitCount ?? 0;
      if (hits === 0) continue;
      total += hits;
      const where = place(node.callFrame.url);
      const fn = `${node.callFrame.functionName || '(anonymous)'} ${where}${node.callFrame.url ? `:${node.callFrame.lineNumber + 1}` : ''}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + hits);
      byFile.set(where, (byFile.get(where) ?? 0) + hits);
    }
  }
  const list = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, v]) => `  ${((v / total) * 100).toFixed(1).padStart(5)}%  ${k}`)
      .join('\n');
  return `self time by function:\n${list(byFunction)}\n\nself time by file / package:\n${list(byFile)}`;
}

function place(url: string): string {
  if (url === '') return '(native/idle/gc)';
  const path = url.replace(/^file:\/\//, '');
  const dep = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (dep) return `[${dep[1]}]`;
  if (path.startsWith('node:')) return path;
  return relative(ROOT, path);
}
