import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { MAX_PACKET_BYTES } from '../../src/device/mqtt/packet-size-guard.js';
import { iot, sdkClient } from '../support/clients.js';
import { createProduct, registerDevice, type Registered } from '../support/device-fixtures.js';
import { testDialects } from '../support/dialects.js';
import { connectDevice, eventually, signInFields } from '../support/mqtt-device.js';
import { closed as socketClosed, rawSocket, remainingLength } from '../support/raw-mqtt.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A self-signed certificate for 127.0.0.1 (CN and subjectAltName), in a temp dir. */
function selfSignedCert(dir: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-days', '1', '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

function configProblems(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('MQTT transport configuration', () => {
  it.each([
    [{ FLOTILLA_MQTT_TLS_PORT: '8883' }, ['FLOTILLA_TLS_CERT', 'FLOTILLA_TLS_KEY']],
    [{ FLOTILLA_TLS_CERT: '/c.pem' }, ['FLOTILLA_MQTT_TLS_PORT', 'FLOTILLA_TLS_KEY']],
    [{ FLOTILLA_TLS_CERT: '/c.pem', FLOTILLA_TLS_KEY: '/k.pem' }, ['FLOTILLA_MQTT_TLS_PORT']],
  ])('refuses an incomplete TLS setting %o, naming what is missing', (env, missing) => {
    const problems = configProblems(env);
    expect(problems).toHaveLength(missing.length);
    for (const name of missing) expect(problems.some((p) => p.includes(name) && p.includes('missing'))).toBe(true);
  });

  it('accepts all three TLS settings, or none', () => {
    expect(loadConfig({}).mqttTls).toBeUndefined();
    expect(loadConfig({ FLOTILLA_MQTT_TLS_PORT: '8883', FLOTILLA_TLS_CERT: '/c.pem', FLOTILLA_TLS_KEY: '/k.pem' }).mqttTls).toEqual({
      port: 8883,
      certFile: '/c.pem',
      keyFile: '/k.pem',
    });
  });
});

describe.each(testDialects())('MQTT transports (%s)', (dialect) => {
  let certDir: string;
  let cert: { cert: string; key: string };
  let server: TestServer;
  let sdk: ReturnType<typeof sdkClient>;
  let productKey: string;

  beforeAll(async () => {
    certDir = mkdtempSync(join(tmpdir(), 'flotilla-tls-'));
    cert = selfSignedCert(certDir);
    server = await startTestServer(dialect, { env: { FLOTILLA_MQTT_TLS_PORT: '0', FLOTILLA_TLS_CERT: cert.cert, FLOTILLA_TLS_KEY: cert.key } });
    sdk = sdkClient(server.endpoint, server.key);
    productKey = await createProduct(sdk, 'transports');
  });
  afterAll(async () => {
    await server.stop();
    rmSync(certDir, { recursive: true, force: true });
  });

  async function status(device: Registered): Promise<string | undefined> {
    return (await sdk.getDeviceStatus(new iot.GetDeviceStatusRequest({ iotId: device.iotId }))).body.data?.status;
  }

  /** Signed in and usable: a message on the device's own topic comes back to it. */
  async function roundTrip(client: MqttClient, device: Registered): Promise<void> {
    const topic = `/${device.productKey}/${device.deviceName}/user/echo`;
    await client.subscribeAsync(topic, { qos: 1 });
    const echoed = new Promise<string>((resolve) => client.once('message', (_t, payload) => resolve(payload.toString())));
    await client.publishAsync(topic, 'ping', { qos: 1 });
    expect(await echoed).toBe('ping');
  }

  it('MQTT over TLS with the C SDK’s securemode=2 ClientId', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_tls');
    const tlsPort = server.service.broker.tlsPort;
    expect(tlsPort).toBeGreaterThan(0);
    const client = await connectDevice(`mqtts://127.0.0.1:${tlsPort}`, signInFields(device, { style: 'c4' }), { ca: readFileSync(cert.cert) });
    expect(await status(device)).toBe('ONLINE');
    await roundTrip(client, device);
    await client.endAsync();
    await eventually(async () => ((await status(device)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
  });

  it('refuses a TLS client that does not trust the certificate (no plain-text fallback)', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_tls_untrusted');
    await expect(connectDevice(`mqtts://127.0.0.1:${server.service.broker.tlsPort}`, signInFields(device))).rejects.toThrow();
    expect(await status(device)).toBe('UNACTIVE');
  });

  it('MQTT over WebSocket at /mqtt of the HTTP port', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_ws');
    const client = await connectDevice(`ws://127.0.0.1:${server.service.httpPort}/mqtt`, signInFields(device));
    expect(await status(device)).toBe('ONLINE');
    const detail = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId: device.iotId }));
    expect(detail.body.data?.ipAddress).toBe('127.0.0.1');
    await roundTrip(client, device);
    await client.endAsync();
    await eventually(async () => ((await status(device)) === 'OFFLINE' ? true : undefined), 'OFFLINE');
  });

  it('refuses a WebSocket upgrade on another path', async () => {
    for (const path of ['/', '/mqtt2', '/other/mqtt']) {
      const socket = new WebSocket(`ws://127.0.0.1:${server.service.httpPort}${path}`, 'mqtt');
      const outcome = await new Promise<string>((resolve) => {
        socket.once('open', () => resolve('open'));
        socket.once('unexpected-response', (_req, res) => resolve(`status ${res.statusCode}`));
        socket.once('error', (err) => resolve(`error ${err.message}`));
      });
      socket.terminate();
      expect(outcome, path).toBe('status 404');
    }
    // The HTTP API is unaffected.
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('accepts MQTT 3.1 with a ClientId far beyond its 23 characters', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_mqtt31');
    const fields = signInFields(device);
    expect(fields.clientId.length).toBeGreaterThan(23);
    const client = await connectDevice(server.service.mqttUrl, fields, { protocolVersion: 3, protocolId: 'MQIsdp' });
    expect(await status(device)).toBe('ONLINE');
    await roundTrip(client, device);
    await client.endAsync();
  });

  it('accepts a 256 KB message and closes the connection of a larger packet; the server stays healthy', async () => {
    const device = await registerDevice(sdk, productKey, 'dev_big');
    const topic = `/${device.productKey}/${device.deviceName}/user/big`;
    const client = await connectDevice(server.service.mqttUrl, signInFields(device));
    client.on('error', () => undefined);
    await client.publishAsync(topic, Buffer.alloc(256 * 1024, 1), { qos: 1 });

    const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
    client.publish(topic, Buffer.alloc(MAX_PACKET_BYTES + 1, 2), { qos: 0 });
    await closed;
    client.end(true);
    await eventually(async () => ((await status(device)) === 'OFFLINE' ? true : undefined), 'OFFLINE');

    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const again = await connectDevice(server.service.mqttUrl, signInFields(device));
    await roundTrip(again, device);
    await again.endAsync();
  });

  it('closes a connection whose CONNECT announces an oversized packet, before signing in', async () => {
    const socket = await rawSocket(server.service.mqttUrl);
    socket.on('error', () => undefined);
    // A CONNECT fixed header announcing 10 MB, then a trickle: the server must not wait to buffer it.
    socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(10 * 1024 * 1024), Buffer.alloc(1024)]));
    await socketClosed(socket);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });
});
