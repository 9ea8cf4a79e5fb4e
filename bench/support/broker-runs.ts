import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { plainNodeScript } from './plain-node.js';
import { ROOT } from './machine.js';
import { startChild } from './processes.js';
import { flotillaEnv, type Key } from './fleet.js';

/** A broker under test: a child process, its MQTT port, and for Flotilla its HTTP URL. */
export interface BrokerUnderTest {
  readonly name: 'flotilla' | 'aedes';
  readonly child: ChildProcess;
  readonly pid: number;
  readonly mqttPort: number;
  readonly httpUrl?: string;
}

/** `node bin/flotilla.js serve` on SQLite in `dataDir` (seeded before), ephemeral ports. */
export async function startFlotilla(children: ChildProcess[], dataDir: string, key: Key, extraNodeArgs: string[] = []): Promise<BrokerUnderTest> {
  const started = await startChild(
    process.execPath,
    [...extraNodeArgs, join(ROOT, 'bin/flotilla.js'), 'serve'],
    flotillaEnv(dataDir, key),
    /Flotilla listening on (http:\/\/[\d.:]+).*?mqtt:\/\/[\d.]+:(\d+)/,
    60_000,
  );
  children.push(started.child);
  return { name: 'flotilla', child: started.child, pid: started.child.pid!, httpUrl: started.match[1]!, mqttPort: Number(started.match[2]) };
}

/** bench/bare-aedes.ts under plain node (no tsx loader in the measured process). */
export async function startBareAedes(children: ChildProcess[], extraNodeArgs: string[] = []): Promise<BrokerUnderTest> {
  const script = plainNodeScript(join(ROOT, 'bench/bare-aedes.ts'));
  const started = await startChild(process.execPath, [...extraNodeArgs, script], process.env, /aedes listening on mqtt:\/\/[\d.]+:(\d+)/);
  children.push(started.child);
  return { name: 'aedes', child: started.child, pid: started.child.pid!, mqttPort: Number(started.match[1]) };
}

/** The open-files limit of this process, which children inherit (Node raises its soft limit to the hard one at start). */
export function openFilesLimit(): { soft: number; hard: number } {
  const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  const n = (v: string | undefined) => (v === undefined || v === 'unlimited' ? Number.POSITIVE_INFINITY : Number(v));
  return { soft: n(m?.[1]), hard: n(m?.[2]) };
}
