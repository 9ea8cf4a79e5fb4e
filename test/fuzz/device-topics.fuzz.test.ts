import fc from 'fast-check';
import { sql } from 'kysely';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkClient } from '../support/clients.js';
import { createProduct, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, signInFields } from '../support/mqtt-device.js';
import { messageQueue, metricValue, otaTopics } from '../support/ota-device.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { brokenMessage, garbage, UP_KINDS, type UpKind, validMessage } from './device-payloads.js';

/**
 * Generated device messages against a whole Flotilla over loopback MQTT (device-protocol.md §3, §4): garbage
 * and near-valid messages on every up topic of the device's own, and valid ones on topics it may not use
 * (another device's, an unknown device's, its own down topics). All must be refused: the server stays healthy,
 * the device stays connected and answered, nobody gets a message, and the stored device state is unchanged.
 * FLOTILLA_FUZZ_SEED replays a run.
 */
const RUNS = Number(process.env.FLOTILLA_FUZZ_DEVICE_RUNS ?? 10_000);
const BATCH = 20;
const PROBE_EVERY_BATCHES = 25;
const seed = process.env.FLOTILLA_FUZZ_SEED === undefined ? Date.now() : Number(process.env.FLOTILLA_FUZZ_SEED);
const STATE_TABLES = ['device', 'device_module_version', 'device_ota_progress', 'file_stream'] as const;

interface Case {
  readonly topic: (t: Topics) => string;
  readonly payload: Buffer;
  readonly qos: 0 | 1;
}

interface Topics {
  own: ReturnType<typeof otaTopics>;
  victim: ReturnType<typeof otaTopics>;
  stranger: ReturnType<typeof otaTopics>;
}

const ownUp = (kind: UpKind) => (t: Topics) => t.own[kind];
const qos = fc.constantFrom<0 | 1>(1, 1, 1, 0);
const kinds = fc.constantFrom(...UP_KINDS);

const cases: fc.Arbitrary<Case> = fc.oneof(
  // Garbage on every own up topic.
  { weight: 3, arbitrary: fc.record({ topic: kinds.map(ownUp), payload: garbage, qos }) },
  // Near-valid messages on the own topics they break (file/download's checks belong to the download helper's suite).
  {
    weight: 5,
    arbitrary: fc.constantFrom('inform', 'progress', 'firmwareGet', 'request' as const).chain((kind) => fc.record({ topic: fc.constant(ownUp(kind)), payload: brokenMessage(kind), qos })),
  },
  // Valid messages where the device may not publish: another device's up topics, an unknown device's, its own down topics.
  {
    weight: 2,
    arbitrary: kinds.chain((kind) =>
      fc.record({
        topic: fc.constantFrom<Case['topic']>((t) => t.victim[kind], (t) => t.stranger[kind]),
        payload: validMessage(kind).map((m) => Buffer.from(JSON.stringify(m))),
        qos,
      }),
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      topic: fc.constantFrom<Case['topic']>((t) => t.own.upgrade, (t) => t.own.firmwareGetReply, (t) => t.victim.upgrade, (t) => t.victim.firmwareGetReply, (t) => t.victim.request),
      payload: fc.oneof(validMessage('inform'), fc.constant({ code: '1000', message: 'success', id: 1, data: { url: 'http://evil/x', version: '9' } })).map((m) => Buffer.from(JSON.stringify(m))),
      qos,
    }),
  },
);

async function stateRows(server: TestServer): Promise<Record<string, string[]>> {
  const rows: Record<string, string[]> = {};
  for (const table of STATE_TABLES) {
    const { rows: found } = await sql<Record<string, unknown>>`select * from ${sql.table(table)}`.execute(server.service.storage.db);
    rows[table] = found.map((r) => JSON.stringify(Object.entries(r).sort(([a], [b]) => a.localeCompare(b)))).sort();
  }
  return rows;
}

for (const dialect of testDialects()) {
  describe(`device topic fuzzing (${dialect})`, () => {
    let server: TestServer;
    let fuzzer: MqttClient;
    let victim: MqttClient;
    let topics: Topics;
    const unexpected: string[] = [];
    let fuzzerClosed = false;

    beforeAll(async () => {
      server = await startTestServer(dialect);
      const sdk = sdkClient(server.endpoint, server.key);
      const productKey = await createProduct(sdk, 'fuzz_devices');
      const own: Registered = await registerDevice(sdk, productKey, 'fuzzer');
      const other: Registered = await registerDevice(sdk, productKey, 'victim');
      topics = { own: otaTopics(own), victim: otaTopics(other), stranger: otaTopics({ productKey, deviceName: 'nobody' }) };
      fuzzer = await connectDevice(server.service.mqttUrl, signInFields(own, { style: 'c4' }));
      victim = await connectDevice(server.service.mqttUrl, signInFields(other));
      fuzzer.on('close', () => (fuzzerClosed = true));
      // Stored state to keep: versions and progress of both devices.
      for (const [client, t] of [[fuzzer, topics.own], [victim, topics.victim]] as const) {
        await client.publishAsync(t.inform, JSON.stringify({ id: 1, params: { version: '1.0.0' } }), { qos: 1 });
        await client.publishAsync(t.inform, JSON.stringify({ id: 2, params: { version: '0.1', module: 'MCU' } }), { qos: 1 });
        await client.publishAsync(t.progress, JSON.stringify({ id: 3, params: { step: '10', desc: 'downloading' } }), { qos: 1 });
      }
      await victim.subscribeAsync('/ota/device/upgrade/+/+', { qos: 1 });
      await victim.subscribeAsync([topics.victim.firmwareGetReply, topics.victim.request, `/sys/${productKey}/victim/thing/file/download_reply`], { qos: 1 });
      victim.on('message', (topic) => unexpected.push(`victim got a message on ${topic}`));
      await fuzzer.subscribeAsync([topics.own.upgrade, topics.own.request], { qos: 1 });
      fuzzer.on('message', (topic) => {
        if (topic === topics.own.upgrade || topic === topics.own.request) unexpected.push(`fuzzer got a message on ${topic}`);
      });
    });

    afterAll(async () => {
      await fuzzer?.endAsync(true);
      await victim?.endAsync(true);
      await server?.stop();
    });

    it(`refuses ${RUNS} generated device messages with the server healthy and device state unchanged`, async () => {
      const before = await stateRows(server);
      expect(before.device_module_version).toHaveLength(4);
      const replies = messageQueue(fuzzer, topics.own.firmwareGetReply);
      await fuzzer.subscribeAsync(topics.own.firmwareGetReply, { qos: 1 });
      let batches = 0;
      let probes = 0;

      const probe = async () => {
        expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
        const id = `probe-${++probes}`;
        await fuzzer.publishAsync(topics.own.firmwareGet, JSON.stringify({ id, params: {} }), { qos: 1 });
        // The first reply must be the probe's: no fuzz message was answered.
        expect(JSON.parse((await replies.next()).toString())).toEqual({ id, code: 200, data: {}, message: 'success' });
      };

      await fc.assert(
        fc.asyncProperty(fc.array(cases, { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          await Promise.all(batch.map((c) => fuzzer.publishAsync(c.topic(topics), c.payload, { qos: c.qos })));
          if (++batches % PROBE_EVERY_BATCHES === 0) await probe();
          expect(fuzzerClosed).toBe(false);
          expect(unexpected).toEqual([]);
        }),
        { numRuns: Math.ceil(RUNS / BATCH), seed, endOnFailure: true },
      );

      await probe();
      expect(unexpected).toEqual([]);
      expect(await stateRows(server)).toEqual(before);
      // The messages did reach the checks: each topic refused some, and the foreign topics were denied.
      for (const topic of ['inform', 'progress', 'firmwareGet', 'request']) {
        expect(await metricValue(server, 'flotilla_device_messages_total', { topic, outcome: 'malformed' }), topic).toBeGreaterThan(0);
        expect(await metricValue(server, 'flotilla_device_messages_total', { topic, outcome: 'accepted' }), topic).toBe(topic === 'firmwareGet' ? probes : topic === 'request' ? 0 : 2 + (topic === 'inform' ? 2 : 0));
      }
      expect(await metricValue(server, 'flotilla_device_publishes_denied_total')).toBeGreaterThan(RUNS / 20);
    });
  });
}
