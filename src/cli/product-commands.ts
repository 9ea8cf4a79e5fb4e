import { setDynamicRegistration } from '../domain/device/dynamic-registration-service.js';
import { openStorage } from '../storage/db.js';
import { cliConfig } from './settings-flags.js';

/**
 * `flotilla products dynamic-registration <productKey> on|off`: the "one product, one secret" switch
 * (fleet-api.md §2.2: a Flotilla product setting, off by default). Works while the server runs: the
 * server reads the product on every registration request. Product keys are unique across accounts, so
 * no account is named. Prints {"productKey","dynamicRegistration":true|false}.
 */
export async function dynamicRegistrationCommand(productKey: string, state: 'on' | 'off', flags: Record<string, unknown>): Promise<void> {
  const config = cliConfig(flags);
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch((err: Error) => fail(err.message));
  let result: Awaited<ReturnType<typeof setDynamicRegistration>>;
  try {
    result = await setDynamicRegistration(storage.db, productKey, state === 'on');
  } finally {
    await storage.close();
  }
  if (result === undefined) fail(`no product with ProductKey ${productKey}`);
  process.stdout.write(JSON.stringify(result) + '\n');
}

function fail(message: string): never {
  console.error(`flotilla: ${message}`);
  process.exit(1);
}
