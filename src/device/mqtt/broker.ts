import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Aedes, type AuthenticateError, type Client, type PublishPacket, type Subscription } from 'aedes';
import type { Logger } from 'pino';
import type { DeviceChangeFeed } from '../../domain/device/device-change-feed.js';
import type { PresenceService } from '../../domain/device/presence-service.js';
import type { SignInDirectory } from '../../domain/device/sign-in-directory.js';
import type { OtaDeviceEvents } from '../../domain/rollout/device-ota-events.js';
import type { Metrics } from '../../observability/metrics.js';
import { connackCodes, parseConnectCredentials } from '../gateway/connect-credentials.js';
import { passwordMatches } from '../gateway/sign-in-password.js';
import { authorizeFilter, classifyPublish, deviceTopics, type UpTopic } from '../gateway/topic-permissions.js';
import { createDeviceSessions, type DeviceSession } from './device-sessions.js';
import { attachWebSocket, listen, type Listener } from './listeners.js';
import { guardPacketSize } from './packet-size-guard.js';
import { storeGrantedSubscriptionsOnly, subscriptionPacketNormalizer } from './subscription-adjustments.js';

/**
 * The device gateway's broker: Aedes inside the Flotilla process, with Alibaba device sign-in, topic
 * permissions and presence (device-protocol.md §1–§3). The rest of Flotilla sees only this interface, so
 * a later issue can back it with a shared bus for several instances.
 */
export interface DeviceBroker {
  readonly port: number;
  readonly tlsPort: number | undefined;
  isListening(): boolean;
  /** Publishes to a device's own topic (QoS 0 or 1, never retained). */
  publish(topic: string, payload: Buffer | string, qos: 0 | 1): Promise<void>;
  isOnline(deviceRowId: string): boolean;
  readonly connectedDevices: number;
  /** MQTT over WebSocket at `/mqtt` of the HTTP server (device-protocol.md §1). */
  attachWebSocket(server: HttpServer): void;
  close(): Promise<void>;
}

/** Handles one message on a device's own up topic; resolves when the message is taken care of. */
export type UpTopicHandler = (session: DeviceSession, payload: Buffer) => Promise<void>;
export type UpTopicHandlers = Partial<Record<Exclude<UpTopic, 'other'>, UpTopicHandler>>;

export interface BrokerDeps {
  directory: SignInDirectory;
  presence: PresenceService;
  events: OtaDeviceEvents;
  handlers: UpTopicHandlers;
  changes: DeviceChangeFeed;
  metrics: Metrics;
  log: Logger;
}

export interface BrokerOptions {
  host: string;
  port: number;
  tls?: { port: number; cert: Buffer; key: Buffer };
}

// Messages Flotilla consumed itself, or refused, are re-addressed here before Aedes routes them: no device
// can subscribe to a `$` topic, so they reach nobody (a refused publish must have no effect, issue 5).
const NOWHERE = '$flotilla/consumed';
// device-protocol.md §1: keep-alive 30–1200 s is the documented range. Flotilla keeps a shorter interval the
// device asked for (it pings that often anyway) and caps longer ones, or none (0), at 1200 s, so a dead
// connection is found within 1.5 × 1200 s (unconfirmed whether Alibaba refuses such values instead).
const MAX_KEEPALIVE_SECONDS = 1200;

export async function startBroker(options: BrokerOptions, deps: BrokerDeps): Promise<DeviceBroker> {
  const { directory, presence, events, handlers, changes, metrics, log } = deps;
  const sessions = createDeviceSessions();
  // Disable and delete notices seen so far (see signIn).
  let sessionEndingNotices = 0;

  const aedes = await Aedes.createBroker({
    // MQTT 3.1 limits ClientIds to 23 characters; Alibaba's `id|k=v,…|` form is longer on every SDK.
    maxClientsIdLength: 1024,
    preConnect(_client, packet, done) {
      if (!packet.keepalive || packet.keepalive > MAX_KEEPALIVE_SECONDS) packet.keepalive = MAX_KEEPALIVE_SECONDS;
      // §1: wills are not supported by Alibaba on 3.1.1; Flotilla ignores them (unconfirmed: ignore vs refuse).
      packet.will = undefined;
      done(null, true);
    },
    authenticate(client, username, password, done) {
      signIn(client, username, password).then(
        (returnCode) => done(returnCode === 0 ? null : refusal(returnCode), returnCode === 0),
        (err: unknown) => {
          log.error({ err }, 'device sign-in failed');
          metrics.deviceSignIns.inc({ outcome: 'error' });
          // 3 = server unavailable: the device retries later.
          done(refusal(3), false);
        },
      );
    },
    authorizePublish(client, packet, done) {
      const session = client === null ? undefined : sessions.of(client);
      if (session === undefined) return done(new Error('not signed in'));
      routeDevicePublish(session, packet).then(() => done(null), done);
    },
    authorizeSubscribe(client, subscription, done) {
      const session = sessions.of(client);
      const topic = session === undefined ? undefined : authorizeFilter(subscription.topic, session.device);
      if (topic === undefined) {
        metrics.deniedSubscriptions.inc();
        log.warn({ device: session?.device.iotId, filter: subscription.topic }, 'subscription refused');
        return done(null, null as unknown as Subscription);
      }
      // §1: QoS 0 and 1 only; a QoS 2 request is granted 1.
      done(null, { ...subscription, topic, qos: Math.min(subscription.qos, 1) as 0 | 1 });
    },
    // Every delivery is checked again: a device receives messages on its own topics only, whatever a filter
    // Aedes kept elsewhere (a persistent session's queue, a restored session) would match.
    authorizeForward(client, packet) {
      const session = sessions.of(client);
      return session !== undefined && authorizeFilter(packet.topic, session.device) === packet.topic ? packet : null;
    },
  });
  storeGrantedSubscriptionsOnly(aedes, (client) => sessions.of(client)?.device);
  const normalizeSubscriptionPackets = subscriptionPacketNormalizer((client) => sessions.of(client)?.device);
  // One listener for every connection; the stream leads back to its client.
  const clientOfConnection = new WeakMap<Duplex, Client>();
  function connectionClosed(this: Duplex): void {
    const client = clientOfConnection.get(this);
    if (client !== undefined) sessionEnded(client);
  }

  async function signIn(client: Client, username: string | undefined, password: Buffer | undefined): Promise<number> {
    const clientId = client.id;
    const parsed = parseConnectCredentials(clientId, username, password);
    if (!parsed.ok) {
      metrics.deviceSignIns.inc({ outcome: 'malformed' });
      log.info({ clientId, reason: parsed.reason }, 'device sign-in refused');
      return parsed.returnCode;
    }
    const { credentials } = parsed;
    // A DisableThing or DeleteDevice that lands while the device is being looked up must not let this sign-in
    // through with the row read before it: look again (a few times at most, should notices keep coming).
    let seen = sessionEndingNotices;
    let device = await directory.find(credentials.productKey, credentials.deviceName);
    for (let tries = 0; tries < 3 && seen !== sessionEndingNotices; tries++) {
      seen = sessionEndingNotices;
      device = await directory.find(credentials.productKey, credentials.deviceName);
    }
    // The connection may have ended during the look-up: Aedes then drops this CONNECT without a CONNACK, and
    // its 'close' has already passed, so a session bound now would never end and the device would stay ONLINE.
    if (client.closed || (client.conn as Duplex).destroyed) {
      metrics.deviceSignIns.inc({ outcome: 'abandoned' });
      return connackCodes.notAuthorized;
    }
    // §2.4: unknown device, wrong secret and disabled device all answer 5 ("not authorized").
    const refusedBecause = device === undefined ? 'unknown device' : !passwordMatches(credentials, device.deviceSecret) ? 'wrong password' : device.disabled ? 'device disabled' : undefined;
    if (device === undefined || refusedBecause !== undefined) {
      metrics.deviceSignIns.inc({ outcome: 'refused' });
      log.info({ productKey: credentials.productKey, deviceName: credentials.deviceName, reason: refusedBecause }, 'device sign-in refused');
      return connackCodes.notAuthorized;
    }
    // Aedes keys sessions by client id. One id per device makes a second sign-in replace the first (§1), keeps a
    // persistent session's subscriptions across ClientIds that differ only in their timestamp, and stops one
    // device from displacing another by sending its ClientId.
    client.id = `device:${device.rowId}`;
    const ip = remoteAddress(client);
    sessions.bind({ device, client, ip });
    metrics.deviceConnections.set(sessions.size);
    (client.conn as Duplex).on('close', connectionClosed);
    normalizeSubscriptionPackets(client);
    await presence.signedIn(device.rowId, ip);
    metrics.deviceSignIns.inc({ outcome: 'accepted' });
    return 0;
  }

  async function routeDevicePublish(session: DeviceSession, packet: PublishPacket): Promise<void> {
    // §1: retained messages are not supported; the flag is ignored.
    packet.retain = false;
    const kind = classifyPublish(packet.topic, session.device);
    if (kind === undefined) {
      metrics.deniedPublishes.inc();
      log.warn({ device: session.device.iotId, topic: packet.topic }, 'publish refused: not one of the device’s up topics');
      packet.topic = NOWHERE;
      return;
    }
    if (kind === 'other') return;
    packet.topic = NOWHERE;
    const handler = handlers[kind];
    if (handler === undefined) return;
    try {
      await handler(session, packet.payload as Buffer);
    } catch (err) {
      // A message Flotilla could not process is dropped; the connection stays (the device is not at fault).
      metrics.deviceMessages.inc({ topic: kind, outcome: 'error' });
      log.error({ err, device: session.device.iotId, topic: kind }, 'device message not processed');
    }
  }

  function sessionEnded(client: Client): void {
    const session = sessions.end(client);
    if (session === undefined) return;
    metrics.deviceConnections.set(sessions.size);
    events.wentOffline(session.device);
    presence.signedOut(session.device.rowId).catch((err: unknown) => log.error({ err, device: session.device.iotId }, 'recording sign-out failed'));
  }

  aedes.on('clientDisconnect', sessionEnded);
  // §6.2 rule 3: push only once the device listens on its upgrade topic (a new SUBSCRIBE, or one restored
  // with a persistent session).
  const announceIfListening = (client: Client, topics: Iterable<string>) => {
    const session = sessions.of(client);
    if (session === undefined || sessions.currentOf(session.device.rowId) !== session) return;
    const upgrade = deviceTopics.upgrade(session.device);
    // Aedes reports the filters as the device sent them: the C SDK 4.x's `/ota/device/upgrade/+/+` counts too.
    for (const topic of topics) if (authorizeFilter(topic, session.device) === upgrade) return events.readyForPush(session.device);
  };
  aedes.on('subscribe', (subscriptions, client) => announceIfListening(client, subscriptions.map((s) => s.topic)));
  aedes.on('clientReady', (client) => announceIfListening(client, Object.keys((client as unknown as { subscriptions: object }).subscriptions ?? {})));

  const stopListening = changes.subscribe((change) => {
    if (change.kind !== 'disabled' && change.kind !== 'deleted') return;
    sessionEndingNotices++;
    // states.md D6, D8: the open session ends at once.
    sessions.currentOf(change.deviceId)?.client.close();
  });

  // The size guard goes on with the connection, so that a CONNECT announcing megabytes is refused unread too.
  const handle = (stream: Duplex, req?: IncomingMessage) => {
    const client = aedes.handle(stream, req);
    clientOfConnection.set(stream, client);
    guardPacketSize(client);
  };
  const listeners: Listener[] = [await listen(handle, { host: options.host, port: options.port })];
  let tlsPort: number | undefined;
  try {
    if (options.tls !== undefined) {
      const tls = await listen(handle, { host: options.host, port: options.tls.port, tls: options.tls });
      listeners.push(tls);
      tlsPort = tls.port;
    }
  } catch (err) {
    await Promise.all(listeners.map((l) => l.close()));
    throw err;
  }
  let webSocket: { close(): void } | undefined;
  let listening = true;

  return {
    port: listeners[0]!.port,
    tlsPort,
    isListening: () => listening,
    publish(topic, payload, qos) {
      return new Promise<void>((resolve, reject) => {
        aedes.publish({ cmd: 'publish', topic, payload, qos, retain: false, dup: false }, (err) => (err ? reject(err) : resolve()));
      });
    },
    isOnline: (deviceRowId) => sessions.currentOf(deviceRowId) !== undefined,
    get connectedDevices() {
      return sessions.size;
    },
    attachWebSocket(server) {
      webSocket = attachWebSocket(server, handle, '/mqtt');
    },
    async close() {
      if (!listening) return;
      listening = false;
      stopListening();
      webSocket?.close();
      // Closing Aedes ends every session; each end queues its OFFLINE (states.md D5: server shutdown).
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await Promise.all(listeners.map((l) => l.close()));
      await presence.drain();
    },
  };
}

function refusal(returnCode: number): AuthenticateError {
  return Object.assign(new Error('connection refused'), { returnCode }) as AuthenticateError;
}

function remoteAddress(client: Client): string | undefined {
  const address = (client.conn as Partial<Socket>).remoteAddress ?? (client.req as IncomingMessage | undefined)?.socket?.remoteAddress;
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; QueryDeviceDetail shows the IPv4 form.
  return address?.startsWith('::ffff:') ? address.slice(7) : address;
}
