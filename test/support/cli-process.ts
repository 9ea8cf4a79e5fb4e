import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (this file is test/support/cli-process.ts). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const binPath = join(repoRoot, 'bin', 'flotilla.js');
const cacheDir = join(repoRoot, 'node_modules', '.cache', 'flotilla-tests');
const stampPath = join(cacheDir, 'dist-stamp');
const lockDir = join(cacheDir, 'build-lock');
const STALE_LOCK_MS = 5 * 60_000;

/**
 * The CLI tests run the real `node bin/flotilla.js`, which loads dist/. This compiles src/ once per run
 * (skipped when no source changed since the last build; a lock keeps two test workers from compiling at
 * once). Type errors in files under work elsewhere do not matter: tsc emits anyway.
 */
export async function ensureDistCurrent(): Promise<void> {
  mkdirSync(cacheDir, { recursive: true });
  await acquireLock();
  try {
    if (!distIsStale()) return;
    const startedAt = new Date();
    await new Promise<void>((resolve) => {
      execFile(process.execPath, [join(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: repoRoot }, () =>
        resolve(),
      );
    });
    // The stamp carries the time the build started, so a source saved during the build counts as newer.
    writeFileSync(stampPath, '');
    utimesSync(stampPath, startedAt, startedAt);
  } finally {
    rmSync(lockDir, { recursive: true, force: true });
  }
}

function distIsStale(): boolean {
  let stampMs: number;
  try {
    stampMs = statSync(stampPath).mtimeMs;
    statSync(join(repoRoot, 'dist', 'cli', 'main.js'));
  } catch {
    return true;
  }
  const inputs = [join(repoRoot, 'tsconfig.json'), join(repoRoot, 'tsconfig.build.json'), ...filesUnder(join(repoRoot, 'src'))];
  return inputs.some((file) => statSync(file).mtimeMs >= stampMs);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

async function acquireLock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(lockDir);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      try {
        if (Date.now() - statSync(lockDir).mtimeMs > STALE_LOCK_MS) rmSync(lockDir, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await sleep(200);
    }
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running `flotilla …` child process with its output collected. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;
  private exit: Exit | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(readonly child: ChildProcess) {
    child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
      this.notify();
    });
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
      this.notify();
    });
    this.exited = new Promise((resolve) => {
      child.on('close', (code, signal) => {
        this.exit = { code, signal };
        this.notify();
        resolve(this.exit);
      });
    });
  }

  get output(): string {
    return this.stdout + this.stderr;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Resolves with the first match of `pattern` in stdout; rejects when the process ends first or on timeout. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this.stdout.match(pattern);
      if (match) return match;
      if (this.exit !== undefined) throw new Error(`flotilla exited (${JSON.stringify(this.exit)}) before printing ${pattern}:\n${this.output}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.output}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  private notify(): void {
    for (const w of this.waiters) w();
    this.waiters.clear();
  }
}

const running = new Set<CliProcess>();

/**
 * Starts `node bin/flotilla.js …args` with the FLOTILLA_* settings of the test's own environment removed
 * and `env` laid over it, so nothing leaks in from the shell that runs the tests.
 */
export function spawnCli(args: string[], env: Record<string, string>): CliProcess {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('FLOTILLA_')) base[k] = v;
  const child = spawn(process.execPath, [binPath, ...args], { cwd: repoRoot, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new CliProcess(child);
  running.add(proc);
  void proc.exited.then(() => running.delete(proc));
  return proc;
}

/** Runs a one-shot command (accounts, keys, instances) to its end. */
export async function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const proc = spawnCli(args, env);
  const exit = await proc.exited;
  return { code: exit.code, stdout: proc.stdout, stderr: proc.stderr };
}

export interface ServeProcess extends CliProcess {
  readonly httpUrl: string;
  /** host:port, as the SDK's `endpoint` takes it. */
  readonly endpoint: string;
  readonly httpPort: number;
  readonly mqttPort: number;
}

export const LISTENING_LINE = /^Flotilla listening on (http:\/\/([^\s:]+):(\d+)) \(HTTP API\) and mqtt:\/\/([^\s:]+):(\d+) \(MQTT\)$/m;

/** `flotilla serve`, resolved once it printed the line with the bound URLs. */
export async function startServe(env: Record<string, string>, args: string[] = []): Promise<ServeProcess> {
  const proc = spawnCli(['serve', ...args], env);
  const m = await proc.waitFor(LISTENING_LINE, 30_000);
  return Object.assign(proc, {
    httpUrl: m[1]!,
    endpoint: `${m[2]}:${m[3]}`,
    httpPort: Number(m[3]),
    mqttPort: Number(m[5]),
  });
}

/** Kills whatever a test left running (afterEach), so no child outlives its test. */
export async function killLeftovers(): Promise<void> {
  const left = [...running];
  for (const proc of left) proc.child.kill('SIGKILL');
  await Promise.all(left.map((p) => p.exited));
}

/** The environment of a `flotilla serve` child in tests: loopback, ephemeral ports, `dataDir`, a bootstrap key. */
export function serveEnv(dataDir: string, bootstrap: { accessKeyId: string; accessKeySecret: string }): Record<string, string> {
  return {
    FLOTILLA_HOST: '127.0.0.1',
    FLOTILLA_HTTP_PORT: '0',
    FLOTILLA_MQTT_PORT: '0',
    FLOTILLA_DATA_DIR: dataDir,
    FLOTILLA_LOG_LEVEL: 'warn',
    FLOTILLA_RATE_LIMITS: 'off',
    FLOTILLA_ACCESS_KEY_ID: bootstrap.accessKeyId,
    FLOTILLA_ACCESS_KEY_SECRET: bootstrap.accessKeySecret,
  };
}
