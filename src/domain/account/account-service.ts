import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/account-repo.js';
import { idFormats, timeOrderedId } from '../../security/random-ids.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Clock } from '../clock.js';

export interface CreatedAccount {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  iotInstanceId: string;
}

/** The caller of an API request, once its key is verified. */
export interface ResolvedKey {
  accessKeyId: string;
  accountId: string;
  secret: string;
  active: boolean;
}

/** A tenant scope: every resource belongs to one account and, within it, to one instance. */
export interface Scope {
  accountId: string;
  /** Internal id of the instance (iot_instance.id). */
  instanceRowId: string;
  /** The public IotInstanceId. */
  iotInstanceId: string;
}

export interface AccountServiceDeps {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
}

export class AccountError extends Error {}

/**
 * Accounts, their API keys and instances. Keys are looked up on every request; the decrypted secret is
 * cached by its sealed form, so a key created or disabled by the CLI in another process takes effect on
 * the very next request (the row is read each time; the secret box saves the AES work).
 */
export function createAccountService(deps: AccountServiceDeps) {
  const { db, secretBox, clock } = deps;
  // Instances are only ever added (no command changes or removes one, and an account's default is fixed at
  // creation), so a resolved scope stays true: one query less on every request (bench/RESULTS.md, API).
  const resolvedScopes = new Map<string, Scope>();
  const MAX_CACHED_SCOPES = 10_000;

  // The secret box keeps opened secrets, so this costs one map look-up per request.
  const open = (sealed: string): string => secretBox.open(sealed);

  async function createAccount(name: string, key?: { accessKeyId: string; accessKeySecret: string }): Promise<CreatedAccount> {
    return (await insertAccountWithKey(name, key, {}))!;
  }

  async function insertAccountWithKey(
    name: string,
    key: { accessKeyId: string; accessKeySecret: string } | undefined,
    options: { bootstrap?: boolean },
  ): Promise<CreatedAccount | undefined> {
    const trimmed = name.trim();
    if (trimmed === '' || trimmed.length > 64) throw new AccountError('an account name must be 1-64 characters');
    const now = clock.now();
    const created: CreatedAccount = {
      accountId: idFormats.accountId(),
      accessKeyId: key?.accessKeyId ?? idFormats.accessKeyId(),
      accessKeySecret: key?.accessKeySecret ?? idFormats.accessKeySecret(),
      iotInstanceId: idFormats.instanceId(),
    };
    // The bootstrap account is created only by the one instance that claims it (two starting at once on
    // a fresh database would otherwise both generate and print a key).
    const made = await inTransaction(db, async (tx) => {
      if (options.bootstrap === true && !(await repo.claimBootstrap(tx, now))) return false;
      await repo.insertAccount(tx, { id: created.accountId, name: trimmed, createdAt: now });
      await repo.insertAccessKey(tx, {
        accessKeyId: created.accessKeyId,
        accountId: created.accountId,
        secretEnc: secretBox.seal(created.accessKeySecret),
        createdAt: now,
      });
      await repo.insertInstance(tx, {
        id: timeOrderedId(now),
        accountId: created.accountId,
        instanceId: created.iotInstanceId,
        isDefault: true,
        createdAt: now,
      });
      return true;
    });
    return made ? created : undefined;
  }

  return {
    createAccount,

    listAccounts: () => repo.listAccounts(db),

    async createKey(accountId: string): Promise<{ accessKeyId: string; accessKeySecret: string }> {
      if ((await repo.findAccount(db, accountId)) === undefined) throw new AccountError(`no account ${accountId}`);
      const key = { accessKeyId: idFormats.accessKeyId(), accessKeySecret: idFormats.accessKeySecret() };
      await repo.insertAccessKey(db, {
        accessKeyId: key.accessKeyId,
        accountId,
        secretEnc: secretBox.seal(key.accessKeySecret),
        createdAt: clock.now(),
      });
      return key;
    },

    async listKeys(accountId: string) {
      if ((await repo.findAccount(db, accountId)) === undefined) throw new AccountError(`no account ${accountId}`);
      return repo.listAccessKeys(db, accountId);
    },

    async setKeyActive(accessKeyId: string, active: boolean): Promise<void> {
      const found = await repo.setAccessKeyStatus(db, accessKeyId, active ? 'Active' : 'Inactive');
      if (!found) throw new AccountError(`no access key ${accessKeyId}`);
    },

    async createInstance(accountId: string, iotInstanceId: string): Promise<void> {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(iotInstanceId)) {
        throw new AccountError('an instance id must be 1-64 letters, digits, _ or -');
      }
      if ((await repo.findAccount(db, accountId)) === undefined) throw new AccountError(`no account ${accountId}`);
      if ((await repo.findInstance(db, accountId, iotInstanceId)) !== undefined) {
        throw new AccountError(`account ${accountId} already has instance ${iotInstanceId}`);
      }
      const now = clock.now();
      await repo.insertInstance(db, { id: timeOrderedId(now), accountId, instanceId: iotInstanceId, isDefault: false, createdAt: now });
    },

    async listInstances(accountId: string) {
      if ((await repo.findAccount(db, accountId)) === undefined) throw new AccountError(`no account ${accountId}`);
      return repo.listInstances(db, accountId);
    },

    /**
     * The bootstrap account (start contract): with FLOTILLA_ACCESS_KEY_ID/SECRET the key is made to exist
     * with that secret; without them, a first start on an empty database generates one account and
     * returns it so the caller can print the secret once.
     */
    async ensureBootstrap(key: { accessKeyId: string; accessKeySecret: string } | undefined): Promise<CreatedAccount | undefined> {
      if (key !== undefined) {
        let existing = await repo.findAccessKey(db, key.accessKeyId);
        if (existing === undefined) {
          try {
            await createAccount('default', key);
            return undefined;
          } catch (err) {
            // Two instances starting at once with the same key: the loser's insert hits the winner's row.
            existing = await repo.findAccessKey(db, key.accessKeyId);
            if (existing === undefined) throw err;
          }
        }
        if (open(existing.secretEnc) !== key.accessKeySecret || existing.keyStatus !== 'Active') {
          await repo.updateAccessKeySecret(db, key.accessKeyId, secretBox.seal(key.accessKeySecret));
        }
        return undefined;
      }
      if ((await repo.countAccounts(db)) > 0) return undefined;
      return insertAccountWithKey('default', undefined, { bootstrap: true });
    },

    async resolveKey(accessKeyId: string): Promise<ResolvedKey | undefined> {
      const row = await repo.findAccessKey(db, accessKeyId);
      if (row === undefined) return undefined;
      return {
        accessKeyId: row.accessKeyId,
        accountId: row.accountId,
        secret: open(row.secretEnc),
        active: row.keyStatus === 'Active' && row.accountStatus === 'Active',
      };
    },

    /**
     * ota-api §1.3: an absent IotInstanceId selects the account's default instance; a value that is not an
     * instance of the caller's account resolves to nothing (iot.system.InstanceNotFound).
     */
    async resolveScope(accountId: string, iotInstanceId: string | undefined): Promise<Scope | undefined> {
      const wanted = iotInstanceId ?? '';
      const cacheKey = `${accountId}\u0000${wanted}`;
      const cached = resolvedScopes.get(cacheKey);
      if (cached !== undefined) return cached;
      const instance = wanted === '' ? await repo.findDefaultInstance(db, accountId) : await repo.findInstance(db, accountId, wanted);
      // Unknown instances are not remembered: one created by the CLI must work on the very next request.
      if (instance === undefined) return undefined;
      const scope = Object.freeze({ accountId, instanceRowId: instance.id, iotInstanceId: instance.instanceId });
      if (resolvedScopes.size >= MAX_CACHED_SCOPES) resolvedScopes.clear();
      resolvedScopes.set(cacheKey, scope);
      return scope;
    },
  };
}

export type AccountService = ReturnType<typeof createAccountService>;
