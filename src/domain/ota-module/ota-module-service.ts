import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import { lockAccount } from '../../storage/repos/account-repo.js';
import * as repo from '../../storage/repos/ota-module-repo.js';
import type { OtaModuleRow } from '../../storage/repos/ota-module-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import { timeOrderedId } from '../../security/random-ids.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import type { DeviceRef, DeviceService } from '../device/device-service.js';
import { BusinessError } from '../errors.js';
import { type Page, type PageRequest, offsetOf, pageOf } from '../paging.js';
import type { ProductService } from '../product/product-service.js';
import { DEFAULT_MODULE, checkAliasAndDesc, checkModuleName, foldModuleName, moduleLimits } from './module-rules.js';

export interface OtaModule {
  moduleName: string;
  productKey: string;
  aliasName: string | undefined;
  desc: string | undefined;
  createdAt: number;
  modifiedAt: number;
}

/** One module version a device reported (ota-api §5.5). */
export interface DeviceModuleVersion {
  productKey: string;
  deviceName: string;
  iotId: string;
  moduleName: string;
  moduleVersion: string;
}

export interface ModuleInput {
  productKey: string;
  moduleName: string;
  aliasName?: string;
  desc?: string;
}

export interface OtaModuleServiceDeps {
  db: Db;
  clock: Clock;
  products: ProductService;
  devices: DeviceService;
}

const UNKNOWN_MODULE = 'The specified module does not exist.';

/**
 * OTA modules (ota-api §1.8, §5). The `default` module is implicit: it has no row until an
 * UpdateOTAModule gives it an alias or description; then a row named `default` holds those (never
 * counted as a custom module, never deletable).
 */
export function createOtaModuleService(deps: OtaModuleServiceDeps) {
  const { db, clock, products, devices } = deps;

  const toModule = (row: OtaModuleRow, product: ProductRow): OtaModule => ({
    moduleName: row.module_name,
    productKey: product.product_key,
    aliasName: row.alias_name ?? undefined,
    desc: row.description ?? undefined,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  });

  /** An empty value stores nothing: "present empty clears" on update, "no value" on create (unconfirmed). */
  const stored = (value: string | undefined, previous: string | null): string | null =>
    value === undefined ? previous : value === '' ? null : value;

  return {
    /**
     * For other services (firmware, jobs): the module's name as stored, for a product already checked to
     * belong to the caller. Absent → `default` (ota-api §1.8); empty → iot.ota.NullOtaModuleName; malformed
     * or not a module of the product → iot.ota.InvalidOtaModuleName (unconfirmed code for "unknown").
     * Pass the transaction as `executor` when calling from inside one.
     */
    async requireModule(productRowId: string, moduleName: string | undefined, executor: Db = db): Promise<string> {
      if (moduleName === undefined) return DEFAULT_MODULE;
      const folded = foldModuleName(checkModuleName(moduleName));
      if (folded === DEFAULT_MODULE) return DEFAULT_MODULE;
      const row = await repo.findModule(executor, productRowId, folded);
      if (row === undefined) throw new BusinessError('iot.ota.InvalidOtaModuleName', UNKNOWN_MODULE);
      return row.module_name;
    },

    /** ota-api §5.1: constraints first, then the product (§1.10); the case as given is kept. */
    async create(scope: Scope, input: ModuleInput): Promise<void> {
      const folded = foldModuleName(checkModuleName(input.moduleName));
      // `default` always exists, so any spelling of it is "taken" (errors.md §8: no specific code).
      if (folded === DEFAULT_MODULE) throw new BusinessError('iot.system.IllegalRequest', 'The module default cannot be created.');
      checkAliasAndDesc(input.aliasName, input.desc);
      const product = await products.requireProduct(scope, input.productKey);
      await inTransaction(db, async (tx) => {
        // Serialises module changes of the account, so the 10-module limit holds under concurrent creates.
        await lockAccount(tx, scope.accountId);
        if ((await repo.findModule(tx, product.id, folded)) !== undefined) {
          throw new BusinessError('iot.system.IllegalRequest', 'The module name already exists in the product.');
        }
        if ((await repo.countCustomModules(tx, product.id)) >= moduleLimits.customPerProduct) {
          throw new BusinessError('iot.system.IllegalRequest', 'A product can have at most 10 custom modules.');
        }
        const now = clock.now();
        await repo.insertModule(tx, {
          id: timeOrderedId(now),
          product_id: product.id,
          module_name: input.moduleName,
          module_name_folded: folded,
          alias_name: stored(input.aliasName, null),
          description: stored(input.desc, null),
          created_at: now,
          modified_at: now,
        });
      });
    },

    /** ota-api §5.2: absent keeps, empty clears (unconfirmed); `default` may carry both (unconfirmed). */
    async update(scope: Scope, input: ModuleInput): Promise<void> {
      const folded = foldModuleName(checkModuleName(input.moduleName));
      checkAliasAndDesc(input.aliasName, input.desc);
      const product = await products.requireProduct(scope, input.productKey);
      await inTransaction(db, async (tx) => {
        await lockAccount(tx, scope.accountId);
        const row = await repo.findModule(tx, product.id, folded);
        const changed = input.aliasName !== undefined || input.desc !== undefined;
        const now = clock.now();
        if (row !== undefined) {
          if (!changed) return;
          await repo.updateModule(tx, row.id, {
            alias_name: stored(input.aliasName, row.alias_name),
            description: stored(input.desc, row.description),
            modified_at: now,
          });
          return;
        }
        if (folded !== DEFAULT_MODULE) throw new BusinessError('iot.ota.InvalidOtaModuleName', UNKNOWN_MODULE);
        if (!changed) return;
        // The default module exists since the product does; its row is created on first change.
        await repo.insertModule(tx, {
          id: timeOrderedId(now),
          product_id: product.id,
          module_name: DEFAULT_MODULE,
          module_name_folded: DEFAULT_MODULE,
          alias_name: stored(input.aliasName, null),
          description: stored(input.desc, null),
          created_at: product.created_at,
          modified_at: now,
        });
      });
    },

    /** ota-api §5.3: never `default`, never while firmware of the module exists. */
    async delete(scope: Scope, productKey: string, moduleName: string): Promise<void> {
      const folded = foldModuleName(checkModuleName(moduleName));
      if (folded === DEFAULT_MODULE) throw new BusinessError('iot.system.IllegalRequest', 'The module default cannot be deleted.');
      const product = await products.requireProduct(scope, productKey);
      await inTransaction(db, async (tx) => {
        await lockAccount(tx, scope.accountId);
        const row = await repo.findModule(tx, product.id, folded);
        if (row === undefined) throw new BusinessError('iot.ota.InvalidOtaModuleName', UNKNOWN_MODULE);
        if (await repo.moduleHasFirmware(tx, product.id, folded)) {
          throw new BusinessError('iot.system.IllegalRequest', 'The module still has firmware; delete the firmware first.');
        }
        // Versions devices reported for the module stay in device_module_version (ota-api §5.3, unconfirmed).
        await repo.deleteModule(tx, row.id);
      });
    },

    /** ota-api §5.4: `default` first (unconfirmed), then custom modules by creation time. */
    async listByProduct(scope: Scope, productKey: string): Promise<OtaModule[]> {
      const product = await products.requireProduct(scope, productKey);
      const rows = await repo.listModules(db, product.id);
      const defaultRow = rows.find((r) => r.module_name_folded === DEFAULT_MODULE);
      const implicit: OtaModule = defaultRow
        ? toModule(defaultRow, product)
        : {
            moduleName: DEFAULT_MODULE,
            productKey: product.product_key,
            aliasName: undefined,
            desc: undefined,
            createdAt: product.created_at,
            modifiedAt: product.created_at,
          };
      return [implicit, ...rows.filter((r) => r !== defaultRow).map((r) => toModule(r, product))];
    },

    /**
     * ota-api §5.5: a device named by IotId (wins) or ProductKey + DeviceName (fleet-api §1.2); without a
     * complete form iot.ota.EmptyDeviceInfoParams (unconfirmed: also when only one of ProductKey and
     * DeviceName is given). Modules since deleted are still listed (unconfirmed).
     */
    async listDeviceVersions(scope: Scope, ref: DeviceRef, page: PageRequest): Promise<Page<DeviceModuleVersion>> {
      const byIotId = ref.iotId !== undefined && ref.iotId !== '';
      const byName = ref.productKey !== undefined && ref.productKey !== '' && ref.deviceName !== undefined && ref.deviceName !== '';
      if (!byIotId && !byName) throw new BusinessError('iot.ota.EmptyDeviceInfoParams');
      const { row, product } = await devices.resolveDevice(scope, byIotId ? { iotId: ref.iotId } : ref);
      const listing = await repo.listDeviceModuleVersions(db, row.id, { offset: offsetOf(page), limit: page.pageSize });
      return pageOf(
        listing.rows.map((r) => ({
          productKey: product.product_key,
          deviceName: row.device_name,
          iotId: row.iot_id,
          moduleName: r.module_name,
          moduleVersion: r.version,
        })),
        listing.total,
        page,
      );
    },
  };
}

export type OtaModuleService = ReturnType<typeof createOtaModuleService>;
