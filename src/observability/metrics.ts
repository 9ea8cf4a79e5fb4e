import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The service's Prometheus metrics, in a registry of its own (tests run several services in one process,
 * and prom-client's global registry refuses a metric registered twice). Served at GET /metrics.
 */
export function createMetrics(options: { processMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'flotilla_' });
  const registers = [registry];
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
