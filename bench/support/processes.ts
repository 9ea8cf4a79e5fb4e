import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A child process that has printed the line we waited for. */
export interface Started {
  readonly child: ChildProcess;
  readonly match: RegExpMatchArray;
}

/**
 * Spawns `command` and resolves once a stdout line matches `ready`; rejects if the child exits first or
 * nothing matches within `timeoutMs`. Later output is drained (a full pipe would stall the child).
 */
export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv, ready: RegExp, timeoutMs = 30_000): Promise<Started> {
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    let started = false;
    const timer = setTimeout(() => fail(new Error(`${command} ${args.join(' ')} did not start in ${timeoutMs} ms:\n${out}${err}`)), timeoutMs);
    const fail = (e: Error) => {
      if (started) return;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(e);
    };
    child.stderr!.on('data', (c: Buffer) => {
      if (started) process.stderr.write(c);
      else err += c.toString();
    });
    child.stdout!.on('data', (c: Buffer) => {
      if (started) return;
      out += c.toString();
      const m = ready.exec(out);
      if (m === null) return;
      started = true;
      clearTimeout(timer);
      resolve({ child, match: m });
    });
    child.once('exit', (code) => fail(new Error(`${command} exited with ${code} before it was ready:\n${out}${err}`)));
  });
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child is gone. */
export async function stopChild(child: ChildProcess | undefined, graceMs = 10_000): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux (sysconf(_SC_CLK_TCK)); /proc reports in these units.

/**
 * User + system CPU seconds a live process has used so far, from /proc/<pid>/stat (all its threads), or
 * only its main thread (the event loop, which is what saturates first) with `mainThread`.
 */
export function cpuSecondsOf(pid: number, mainThread = false): number {
  const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SECOND;
}

/**
 * A benchmark's temp dir and child processes, removed and stopped by `cleanUp()` — also on SIGINT/SIGTERM,
 * so an interrupted run leaves nothing behind.
 */
export function benchWorkspace(prefix: string): { workDir: string; children: ChildProcess[]; cleanUp(): Promise<void> } {
  const children: ChildProcess[] = [];
  const workDir = mkdtempSync(join(tmpdir(), prefix));
  let cleaned = false;
  const cleanUp = async (): Promise<void> => {
    if (cleaned) return;
    cleaned = true;
    await Promise.all(children.map((c) => stopChild(c)));
    rmSync(workDir, { recursive: true, force: true });
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void cleanUp().then(() => process.exit(130)));
  return { workDir, children, cleanUp };
}

/** Runs a benchmark's `main`: an error is printed and sets a failing exit code; the workspace is cleaned up either way. */
export function runBenchmark(main: () => Promise<void>, cleanUp: () => Promise<void> | void): void {
  main()
    .catch((err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    })
    .finally(() => cleanUp());
}
