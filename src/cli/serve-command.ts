import { ConfigError, loadConfig } from '../config/config.js';
import { startService } from '../main.js';
import { settingsFrom } from './settings-flags.js';

// The start contract: SIGTERM/SIGINT end the process with exit code 0 within 10 s.
const SHUTDOWN_DEADLINE_MS = 9_000;

export async function serveCommand(flags: Record<string, unknown>): Promise<void> {
  let config;
  try {
    config = loadConfig(settingsFrom(flags, process.env));
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`flotilla: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }

  const service = await startService(config);
  // One line with the URLs actually bound (port 0 means an ephemeral port).
  process.stdout.write(`Flotilla listening on ${service.httpUrl} (HTTP API) and ${service.mqttUrl} (MQTT)\n`);
  if (service.bootstrapAccount !== undefined) {
    const a = service.bootstrapAccount;
    // Shown once, never logged: the secret is not stored in clear anywhere.
    process.stdout.write(
      `Created the first account. Save this key now, it is not shown again:\n` +
        `  FLOTILLA_ACCESS_KEY_ID=${a.accessKeyId}\n  FLOTILLA_ACCESS_KEY_SECRET=${a.accessKeySecret}\n` +
        `  (account ${a.accountId}, default IotInstanceId ${a.iotInstanceId})\n`,
    );
  }

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => {
      console.error(`flotilla: shutdown took longer than ${SHUTDOWN_DEADLINE_MS} ms after ${signal}; exiting`);
      process.exit(0);
    }, SHUTDOWN_DEADLINE_MS);
    deadline.unref();
    service.close().then(
      () => process.exit(0),
      (err) => {
        console.error('flotilla: error while shutting down', err);
        process.exit(0);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
