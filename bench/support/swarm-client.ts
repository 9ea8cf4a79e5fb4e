import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './machine.js';

/** One simulated device: its CONNECT fields, the filter it subscribes to and the topic it publishes on. */
export interface SwarmDevice {
  clientId: string;
  username: string;
  password: string;
  subscribe: string;
  publishTopic?: string;
}

export type SwarmCommand =
  | { type: 'connect'; host: string; port: number; devicesFile: string; from: number; to: number; concurrency: number; keepaliveS: number }
  /** Publish until windowEndAt (epoch ms); PUBACKs between windowStartAt and windowEndAt are the figure. */
  | { type: 'publish'; windowStartAt: number; windowEndAt: number; inFlight: number }
  | { type: 'status' }
  | { type: 'close' };

export interface ConnectReport {
  type: 'connected';
  /** CONNACK 0 and SUBACK granted. */
  connected: number;
  refused: number;
  failed: number;
  firstAt: number;
  lastAt: number;
  cpuS: number;
}

export interface PublishReport {
  type: 'published';
  ackedInWindow: number;
  acked: number;
  sent: number;
  unacked: number;
  windowS: number;
  generatorCpuS: number;
  dropped: number;
  /** The step of each device's last message (the one its stored progress must show). */
  lastSteps: { username: string; step: number; acked: boolean }[];
}

export interface Swarm {
  readonly child: ChildProcess;
  connect(cmd: Omit<Extract<SwarmCommand, { type: 'connect' }>, 'type'>): Promise<ConnectReport>;
  publish(cmd: Omit<Extract<SwarmCommand, { type: 'publish' }>, 'type'>): Promise<PublishReport>;
  status(): Promise<{ ready: number; dropped: number }>;
  close(): Promise<void>;
}

/** Forks one load-generator process (mqtt-swarm.ts); `children` gets it so that the workspace stops it. */
export async function startSwarm(children: ChildProcess[]): Promise<Swarm> {
  const child = fork(join(ROOT, 'bench/support/mqtt-swarm.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  children.push(child);
  const next = <T>(type: string, timeoutMs = 240_000): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`load generator: no '${type}' within ${timeoutMs} ms`)), timeoutMs);
      const onMessage = (m: { type: string }) => {
        if (m.type === type) done(undefined, m as T);
      };
      const onExit = (code: number | null) => done(new Error(`load generator exited (${code}) while waiting for '${type}'`));
      function done(err?: Error, value?: T) {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (err) reject(err);
        else resolve(value!);
      }
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  await next('hello', 30_000);
  const ask = <T>(cmd: SwarmCommand, answer: string): Promise<T> => {
    const answered = next<T>(answer);
    child.send(cmd);
    return answered;
  };
  return {
    child,
    connect: (cmd) => ask({ type: 'connect', ...cmd }, 'connected'),
    publish: (cmd) => ask({ type: 'publish', ...cmd }, 'published'),
    status: () => ask({ type: 'status' }, 'status'),
    close: () => ask({ type: 'close' }, 'closed'),
  };
}
