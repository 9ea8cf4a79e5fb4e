/**
 * Bounds the memory MQTT downloads take. Each block request holds up to 128 KB twice (the block and the
 * framed reply) until the reply is written to the device's socket. Aedes hands over all requests that
 * arrived in one TCP read at once, so a device asking for many blocks together would otherwise have them
 * all in memory. Here a device's requests run one after another, in arrival order, and at most
 * `maxConcurrent` run at a time across all devices; waiting requests hold only their parsed JSON.
 */
export interface BlockReadGate {
  run<T>(deviceId: string, work: () => Promise<T>): Promise<T>;
}

export function createBlockReadGate(maxConcurrent: number): BlockReadGate {
  let active = 0;
  const waiting: (() => void)[] = [];
  // The last queued request per device; the next one starts when it is done.
  const tails = new Map<string, Promise<void>>();

  async function acquire(): Promise<void> {
    if (active < maxConcurrent) {
      active++;
      return;
    }
    // The releasing request hands its slot over, so `active` stays as it is.
    await new Promise<void>((resolve) => waiting.push(resolve));
  }

  function release(): void {
    const next = waiting.shift();
    if (next === undefined) active--;
    else next();
  }

  return {
    async run(deviceId, work) {
      const previous = tails.get(deviceId);
      let done!: () => void;
      const tail = new Promise<void>((resolve) => (done = resolve));
      tails.set(deviceId, tail);
      try {
        await previous;
        await acquire();
        try {
          return await work();
        } finally {
          release();
        }
      } finally {
        done();
        if (tails.get(deviceId) === tail) tails.delete(deviceId);
      }
    },
  };
}
