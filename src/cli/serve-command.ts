import { type RunningService, startService } from '../main.js';
import { cliConfig } from './settings-flags.js';

// The start contract: SIGTERM/SIGINT end the process with exit code 0 within 10 s.
const SHUTDOWN_DEADLINE_MS = 9_000;

export async function serveCommand(flags: Record<string, unknown>): Promise<void> {
  const config = cliConfig(flags);

  // Installed before starting, so a signal that arrives during start-up (migrations, binding) still ends
  // the process with exit code 0 once the service is up, instead of Node's default death by signal.
  let service: RunningService | undefined;
  let stopRequested: string | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    stopRequested ??= signal;
    if (service === undefined || stopping) return;
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

  try {
    service = await startService(config);
  } catch (err) {
    // A port in use, an unreachable database, a master key that does not open the stored secrets: one
    // line naming the cause, no stack trace, non-zero exit.
    console.error(`flotilla: could not start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  }
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
  if (stopRequested !== undefined) stop(stopRequested);
}
