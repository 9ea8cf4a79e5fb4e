import { Counter, Gauge, Registry } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (tests run several services in one process,
 * and prom-client's global registry refuses a metric registered twice). Served at GET /metrics.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  const registers = [registry];
  if (options.processMetrics ?? true) registerProcessMetrics(registers);
  return {
    registry,
    deviceConnections: new Gauge({ name: 'flotilla_device_connections', help: 'Devices signed in over MQTT now', registers }),
    deviceSignIns: new Counter({
      name: 'flotilla_device_sign_ins_total',
      help: 'MQTT CONNECT attempts by outcome',
      labelNames: ['outcome'] as const,
      registers,
    }),
    deniedPublishes: new Counter({
      name: 'flotilla_device_publishes_denied_total',
      help: 'Device publishes to a topic the device may not publish to (dropped)',
      registers,
    }),
    deniedSubscriptions: new Counter({
      name: 'flotilla_device_subscriptions_denied_total',
      help: 'Device subscriptions refused (SUBACK 0x80)',
      registers,
    }),
    deviceMessages: new Counter({
      name: 'flotilla_device_messages_total',
      help: 'Messages devices published on the OTA topics, by topic and outcome',
      labelNames: ['topic', 'outcome'] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * Process figures read when scraped, and only then. Not prom-client's collectDefaultMetrics: its collectors run
 * JavaScript while the process idles (a callback on every GC among them), and V8's memory reducer returns a
 * connect storm's garbage only once the process is idle. (One run without them settled at ~315 MiB for 19,000
 * devices where runs with them stayed near 490 MiB after 40 s; with 70 s both settle: not proven either way.)
 */
function registerProcessMetrics(registers: Registry[]): void {
  const startedAt = Date.now() / 1000 - process.uptime();
  new Gauge({
    name: 'flotilla_process_resident_memory_bytes',
    help: 'Resident memory size in bytes',
    registers,
    collect() {
      this.set(process.memoryUsage.rss());
    },
  });
  new Gauge({
    name: 'flotilla_process_heap_used_bytes',
    help: 'V8 heap in use, bytes',
    registers,
    collect() {
      this.set(process.memoryUsage().heapUsed);
    },
  });
  new Gauge({
    name: 'flotilla_process_cpu_seconds',
    help: 'User and system CPU time spent, seconds',
    registers,
    collect() {
      const { user, system } = process.cpuUsage();
      this.set((user + system) / 1e6);
    },
  });
  new Gauge({ name: 'flotilla_process_start_time_seconds', help: 'Start time of the process, seconds since the epoch', registers }).set(startedAt);
}
