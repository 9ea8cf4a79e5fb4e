import pino, { type Logger } from 'pino';
import type { Config } from './config/config.js';
import { createThrottle } from './api/rpc/throttle.js';
import { createAccountService, type CreatedAccount } from './domain/account/account-service.js';
import { type Clock, systemClock } from './domain/clock.js';
import { createBatchRegistrationService } from './domain/device/batch-registration-service.js';
import { createDeviceService } from './domain/device/device-service.js';
import { createDevicePropService } from './domain/device/device-prop-service.js';
import { createDynamicRegistrationService } from './domain/device/dynamic-registration-service.js';
import { createGroupService } from './domain/group/group-service.js';
import { createFirmwareService } from './domain/ota-firmware/firmware-service.js';
import { createUploadService } from './domain/ota-firmware/upload-service.js';
import { createOtaModuleService } from './domain/ota-module/ota-module-service.js';
import { createProductService } from './domain/product/product-service.js';
import type { Services } from './domain/services.js';
import { createDeviceChangeFeed } from './domain/device/device-change-feed.js';
import { createPresenceService } from './domain/device/presence-service.js';
import { createSignInDirectory } from './domain/device/sign-in-directory.js';
import { createReportRecorder } from './domain/rollout/report-recorder.js';
import { type DeviceBroker, startBroker } from './device/mqtt/broker.js';
import { createOtaTopicHandlers } from './device/ota/ota-topic-handlers.js';
import { createPushPublisher } from './device/ota/push-publisher.js';
import { createFileDownloadHandler } from './device/ota/file-download-handler.js';
import { createFileStreams, type FileStreams } from './domain/rollout/file-streams.js';
import { createMetrics } from './observability/metrics.js';
import { readFileSync } from 'node:fs';
import { buildApp } from './server/app.js';
import { openStorage, type Storage } from './storage/db.js';
import { purgeExpiredNonces } from './storage/repos/nonce-repo.js';
import { createNonceRecorder } from './api/rpc/nonce-recorder.js';
import { findDownloadableFile } from './storage/repos/download-repo.js';
import { createSecretBox, loadMasterKey } from './security/secret-box.js';
import { deriveDeploymentCredentials } from './security/derived-secrets.js';
import { createDownloadUrlSigner } from './security/download-url-signer.js';
import { createLocalBlobStore } from './storage/blob/local-blob-store.js';

export interface RunningService {
  readonly httpUrl: string;
  readonly mqttUrl: string;
  readonly httpPort: number;
  readonly mqttPort: number;
  /** The account generated on a first start without FLOTILLA_ACCESS_KEY_*; shown once. */
  readonly bootstrapAccount: CreatedAccount | undefined;
  readonly storage: Storage;
  readonly services: Services;
  /** The device gateway's broker (tests publish to devices through it). */
  readonly broker: DeviceBroker;
  /** MQTT download streams (device-protocol §4.7); exposed for tests that open one without a job. */
  readonly fileStreams: Pick<FileStreams, 'open' | 'find'>;
  /** Stops accepting, finishes in-flight work, closes storage. Idempotent. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly clock?: Clock;
  readonly log?: Logger;
}

// rpc-protocol §4.3: nonces are remembered for at least 31 minutes (and at least the whole window).
const MIN_NONCE_RETENTION_MS = 31 * 60_000;

/** Composition root: config → storage → services → HTTP and MQTT servers. */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? createLogger(config);
  const masterKey = loadMasterKey(config.dataDir, config.masterKeyHex);
  const secretBox = createSecretBox(masterKey);
  const credentials = deriveDeploymentCredentials(masterKey);
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const { db } = storage;
  // Uploaded files live under FLOTILLA_DATA_DIR also with PostgreSQL (spec README); a kill -9 mid-upload
  // leaves a partial file that the next start removes.
  const blobs = await createLocalBlobStore(config.dataDir);
  await blobs.sweep();
  // Every URL handed out starts with FLOTILLA_PUBLIC_URL, else with the address actually bound (known
  // once listening; no URL is handed out before that).
  let publicBaseUrl = config.publicUrl ?? '';
  const urls = { publicBaseUrl: () => publicBaseUrl };
  const downloadUrls = createDownloadUrlSigner({
    secret: credentials.downloadSecret,
    keyId: credentials.uploadKeyId,
    baseUrl: urls.publicBaseUrl,
    clock,
    ttlMs: config.downloadUrlTtlMs,
  });

  const accounts = createAccountService({ db, secretBox, clock });
  const products = createProductService({ db, secretBox, clock });
  const deviceChanges = createDeviceChangeFeed();
  const devices = createDeviceService({ db, secretBox, clock, products, changes: deviceChanges });
  const batchRegistration = createBatchRegistrationService({ db, clock, products, devices });
  const groups = createGroupService({ db, clock, devices });
  const deviceProps = createDevicePropService({ db, clock, devices });
  const otaModules = createOtaModuleService({ db, clock, products, devices });
  const uploads = createUploadService({
    db,
    clock,
    blobs,
    credentials,
    publicBaseUrl: urls.publicBaseUrl,
    limits: { maxPackageBytes: config.maxPackageBytes, maxDeviceListBytes: config.maxDeviceListBytes, uploadSlotMs: config.uploadSlotMs },
    log,
  });
  const firmware = createFirmwareService({
    db,
    clock,
    blobs,
    uploads,
    products,
    downloadUrls,
    maxFirmwarePerInstance: config.maxFirmwarePerInstance,
    log,
  });
  const dynamicRegistration = createDynamicRegistrationService({ db, secretBox, clock, changes: deviceChanges });
  const services: Services = {
    accounts,
    products,
    devices,
    batchRegistration,
    groups,
    deviceProps,
    otaModules,
    uploads,
    firmware,
    dynamicRegistration,
  };
  const bootstrapAccount = await services.accounts.ensureBootstrap(config.bootstrapKey);

  const nonces = createNonceRecorder(db);
  const nonceRetentionMs = Math.max(MIN_NONCE_RETENTION_MS, 2 * config.timestampWindowMs + 60_000);
  let shuttingDown = false;
  let broker: DeviceBroker | undefined;
  const metrics = createMetrics();
  const presence = createPresenceService({ db, clock });
  const otaEvents = createReportRecorder({ db, clock });
  // A stream lives as long as a signed download URL (file-streams.ts).
  const fileStreams = createFileStreams({ db, clock, ttlMs: config.downloadUrlTtlMs });
  // Replies and pushes go through the broker, which starts after the handlers exist: it is looked up late.
  const pushes = createPushPublisher({ broker: () => broker, downloadUrls, streams: fileStreams, clock });
  // TLS files are read at start, so a bad path fails the start with a clear message rather than the first device.
  const mqttTls = config.mqttTls && {
    port: config.mqttTls.port,
    cert: readFileSync(config.mqttTls.certFile),
    key: readFileSync(config.mqttTls.keyFile),
  };

  const app = await buildApp({
    services,
    settings: { gmtOffsetMinutes: config.gmtOffsetMinutes, region: config.region },
    clock,
    throttle: config.rateLimits ? createThrottle() : undefined,
    timestampWindowMs: config.timestampWindowMs,
    recordNonce: (accessKeyId, nonce) => nonces.record(accessKeyId, nonce, clock.now() + nonceRetentionMs),
    isHealthy: async () => (broker?.isListening() ?? false) && (await storage.ping()),
    isShuttingDown: () => shuttingDown,
    downloads: { urls: downloadUrls, accessKeyId: credentials.uploadKeyId, findFile: (fileId) => findDownloadableFile(db, fileId), blobs },
    metrics: metrics.registry,
    log,
  });

  try {
    await app.listen({ host: config.host, port: config.httpPort });
    // Sessions of an earlier process (one that died with kill -9) are gone: their devices are OFFLINE.
    await presence.forgetEarlierSessions();
    broker = await startBroker(
      { host: config.host, port: config.mqttPort, tls: mqttTls },
      {
        directory: createSignInDirectory({ db, secretBox, changes: deviceChanges }),
        presence,
        events: otaEvents,
        handlers: {
          ...createOtaTopicHandlers({ events: otaEvents, publisher: pushes, metrics, log }),
          fileDownload: createFileDownloadHandler({
            streams: fileStreams,
            blobs,
            publish: (topic, payload, qos) => broker!.publish(topic, payload, qos),
            metrics,
            log,
          }),
        },
        changes: deviceChanges,
        metrics,
        log,
      },
    );
    if (config.mqttWebSocket) broker.attachWebSocket(app.server);
  } catch (err) {
    await app.close();
    await storage.close();
    throw err;
  }

  const purgeTimer = setInterval(() => {
    purgeExpiredNonces(db, clock.now()).catch((err) => log.warn({ err }, 'purging expired nonces failed'));
    // ota-api §2.1: uploads not used by a firmware within 60 minutes, and expired upload slots.
    uploads.purgeStale().catch((err) => log.warn({ err }, 'purging stale uploads failed'));
    fileStreams.purgeExpired().catch((err) => log.warn({ err }, 'purging expired MQTT download streams failed'));
  }, 60_000);
  purgeTimer.unref();

  const address = app.server.address();
  const httpPort = typeof address === 'object' && address !== null ? address.port : config.httpPort;
  const shownHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  publicBaseUrl = config.publicUrl ?? `http://${formatHost(shownHost)}:${httpPort}`;

  let closing: Promise<void> | undefined;
  return {
    httpUrl: `http://${formatHost(shownHost)}:${httpPort}`,
    mqttUrl: `mqtt://${formatHost(shownHost)}:${broker.port}`,
    httpPort,
    mqttPort: broker.port,
    bootstrapAccount,
    storage,
    services,
    broker,
    fileStreams,
    close() {
      closing ??= (async () => {
        clearInterval(purgeTimer);
        // Start contract: finish in-flight work. A request already accepted (even one whose body is still
        // arriving) runs to its answer; while closing, Fastify answers 503 to new requests on kept-alive
        // connections, so the flag is only raised once the HTTP side is closed.
        // MQTT first: upgraded WebSocket connections would otherwise hold the HTTP server open. Closing the
        // broker ends every session and writes the OFFLINEs (states.md D5: server shutdown).
        await broker?.close();
        await app.close();
        shuttingDown = true;
        await otaEvents.drain();
        await storage.close();
      })();
      return closing;
    },
  };
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

export function createLogger(config: Pick<Config, 'logLevel'>): Logger {
  return pino({
    level: config.logLevel,
    // Secrets are never logged (start contract); these paths catch them if an object carrying one is logged.
    redact: {
      paths: ['*.accessKeySecret', '*.AccessKeySecret', '*.DeviceSecret', '*.deviceSecret', '*.ProductSecret', '*.productSecret', '*.secret'],
      censor: '[redacted]',
    },
  });
}
