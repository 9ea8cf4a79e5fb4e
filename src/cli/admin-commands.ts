import { AccountError, createAccountService, type AccountService } from '../domain/account/account-service.js';
import { systemClock } from '../domain/clock.js';
import { createSecretBox, loadMasterKey } from '../security/secret-box.js';
import { openStorage } from '../storage/db.js';
import { cliConfig } from './settings-flags.js';

/**
 * Account and key administration against the same data dir or database as the server, also while it
 * runs: a key created here works on the server's very next request (the server reads key rows on every
 * request). Settings come from the same FLOTILLA_* variables and flags as `flotilla serve`.
 */
export async function withAccounts(flags: Record<string, unknown>, work: (accounts: AccountService) => Promise<unknown>): Promise<void> {
  const config = cliConfig(flags);
  let failure: string | undefined;
  const storage = await openStorage({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }).catch((err: Error) => fail(err.message));
  try {
    const secretBox = createSecretBox(loadMasterKey(config.dataDir, config.masterKeyHex));
    const accounts = createAccountService({ db: storage.db, secretBox, clock: systemClock });
    await checkMasterKey(accounts, config.databaseUrl !== undefined);
    const output = await work(accounts);
    if (output !== undefined) process.stdout.write(JSON.stringify(output) + '\n');
  } catch (err) {
    if (!(err instanceof AccountError)) throw err;
    failure = err.message;
  } finally {
    await storage.close();
  }
  if (failure !== undefined) fail(failure);
}

/**
 * Secrets are sealed with the master key of FLOTILLA_DATA_DIR (or FLOTILLA_MASTER_KEY). A CLI run with a
 * different one, e.g. against a shared PostgreSQL from another directory, would create keys the server
 * cannot open; refuse instead, before anything is written.
 */
async function checkMasterKey(accounts: AccountService, postgres: boolean): Promise<void> {
  const [first] = await accounts.listAccounts();
  const [key] = first === undefined ? [] : await accounts.listKeys(first.id);
  if (key === undefined) return;
  try {
    await accounts.resolveKey(key.accessKeyId);
  } catch {
    const hint = postgres ? ' (with PostgreSQL, use the same FLOTILLA_DATA_DIR or FLOTILLA_MASTER_KEY as the server)' : '';
    fail(`the master key of FLOTILLA_DATA_DIR / FLOTILLA_MASTER_KEY does not open the stored secrets${hint}`);
  }
}

function fail(message: string): never {
  console.error(`flotilla: ${message}`);
  process.exit(1);
}
