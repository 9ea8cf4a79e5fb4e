import { ConfigError, loadConfig } from '../config/config.js';
import { AccountError, createAccountService, type AccountService } from '../domain/account/account-service.js';
import { systemClock } from '../domain/clock.js';
import { createSecretBox, loadMasterKey } from '../security/secret-box.js';
import { openStorage } from '../storage/db.js';

/**
 * Account and key administration against the same data dir or database as the server, also while it
 * runs: a key created here works on the server's very next request.
 */
export async function withAccounts(work: (accounts: AccountService) => Promise<unknown>): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const secretBox = createSecretBox(loadMasterKey(config.dataDir, config.masterKeyHex));
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    const output = await work(createAccountService({ db: storage.db, secretBox, clock: systemClock }));
    if (output !== undefined) process.stdout.write(JSON.stringify(output) + '\n');
  } catch (err) {
    if (err instanceof AccountError) fail(err.message);
    throw err;
  } finally {
    await storage.close();
  }
}

function fail(message: string): never {
  console.error(`flotilla: ${message}`);
  process.exit(1);
}
