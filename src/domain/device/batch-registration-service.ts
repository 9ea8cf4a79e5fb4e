import { isUniqueViolation } from '../../storage/dialect/errors.js';
import type { Db, Tx } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-apply-repo.js';
import type { DeviceApplyEntryRow, DeviceApplyRow } from '../../storage/repos/device-apply-repo.js';
import { type DeviceRow, findDevicesByNames, insertDevices } from '../../storage/repos/device-repo.js';
import { findProductById, type ProductRow } from '../../storage/repos/product-repo.js';
import { idFormats } from '../../security/random-ids.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import { isValidDeviceName } from '../fleet-rules.js';
import { type Page, type PageRequest, offsetOf, pageOf } from '../paging.js';
import type { ProductService } from '../product/product-service.js';
import { type ApplyStatus, type ApplyTransition, applyTransitions, createdStatuses, failedStatuses, runningStatuses } from './apply-transitions.js';
import { applyErrorMessages, checkNames, type InvalidDetail, MAX_APPLY_ENTRIES, type NameCheck, selectEntries } from './batch-name-check.js';
import type { DeviceService } from './device-service.js';

export interface BatchRegistrationDeps {
  db: Db;
  clock: Clock;
  products: ProductService;
  devices: DeviceService;
}

export interface CheckedApplication extends Omit<NameCheck, 'entries'> {
  applyId: number;
}

export interface ApplicationStatus {
  status: ApplyStatus;
  validNames: string[];
  invalidNames: string[];
  invalidDetails: InvalidDetail[];
}

export interface AppliedDevice {
  deviceName: string;
  deviceSecret: string;
  iotId: string;
  deviceId: string;
}

/**
 * Batch registration (fleet-api §4.2–§4.7, states.md §6). Checks and creation run synchronously inside
 * the call (allowed by §4.2), each in one transaction, so `CHECK` and `CREATE` are never visible to
 * readers and a crash leaves no half-made application.
 */
export function createBatchRegistrationService(deps: BatchRegistrationDeps) {
  const { db, clock, products, devices } = deps;

  async function move(tx: Tx, applyId: number, t: ApplyTransition): Promise<boolean> {
    return repo.moveApply(tx, { applyId, from: t.from, to: t.to, at: clock.now() });
  }

  /** An application of the caller's instance; for the operations that name a product it must be that one. */
  async function requireApply(d: Db, scope: Scope, applyId: number, productId?: string): Promise<DeviceApplyRow> {
    const apply = await repo.findApply(d, scope.instanceRowId, applyId);
    if (apply === undefined) throw new BusinessError('iot.device.DeviceApplyIsNotFound');
    if (productId !== undefined && apply.product_id !== productId) throw new BusinessError('iot.device.IncorrentDeviceApplyInfo');
    return apply;
  }

  /** Gives every new row an IotId no device has ever had (fleet-api §2.1: never reused). */
  async function ensureFreshIotIds(tx: Tx, rows: DeviceRow[]): Promise<void> {
    for (let pending = rows; pending.length > 0; ) {
      const taken = await repo.takenIotIds(tx, pending.map((r) => r.iot_id));
      const seen = new Set<string>();
      const clashes: DeviceRow[] = [];
      for (const r of pending) {
        if (taken.has(r.iot_id) || seen.has(r.iot_id)) clashes.push(r);
        else seen.add(r.iot_id);
      }
      for (const r of clashes) r.iot_id = idFormats.iotId();
      pending = clashes;
    }
  }

  /** PostgreSQL: a name registered concurrently makes the insert fail; the retry then sees it as taken. */
  async function retryOnNameRace<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (err) {
        if (attempt >= 3 || !isUniqueViolation(err)) throw err;
      }
    }
  }

  async function openApply(tx: Tx, scope: Scope, product: ProductRow, kind: DeviceApplyRow['kind'], status: ApplyStatus): Promise<number> {
    const applyId = await repo.nextApplyId(tx);
    const now = clock.now();
    await repo.insertApply(tx, {
      apply_id: applyId,
      account_id: scope.accountId,
      instance_id: scope.instanceRowId,
      product_id: product.id,
      kind,
      status,
      created_at: now,
      modified_at: now,
    });
    return applyId;
  }

  /**
   * Device rows for these names, built before any transaction: sealing 10,000 secrets takes about a
   * second, which should neither hold the database nor block the event loop in one stretch.
   */
  async function buildRows(scope: Scope, productId: string, entries: readonly { name: string; nickname: string | null }[]): Promise<DeviceRow[]> {
    const now = clock.now();
    const rows: DeviceRow[] = [];
    for (const [i, e] of entries.entries()) {
      if (i > 0 && i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
      rows.push(devices.newDeviceRow(scope, productId, e.name, e.nickname, now));
    }
    return rows;
  }

  /** A6/A7: creates every checked name still free; names taken since the check fail alone. */
  async function createChecked(tx: Tx, product: ProductRow, applyId: number, entries: DeviceApplyEntryRow[], prepared: DeviceRow[]): Promise<void> {
    const taken = new Set((await findDevicesByNames(tx, product.id, entries.map((e) => e.device_name))).map((r) => r.device_name));
    const rows: DeviceRow[] = [];
    const outcome: DeviceApplyEntryRow[] = entries.map((e, i) => {
      if (taken.has(e.device_name)) return { ...e, error_msg: applyErrorMessages.existingName, device_id: null };
      rows.push(prepared[i]!);
      return { ...e, error_msg: null, device_id: prepared[i]!.id };
    });
    await ensureFreshIotIds(tx, rows);
    await insertDevices(tx, rows);
    await repo.replaceEntries(tx, applyId, outcome);
    await move(tx, applyId, rows.length === entries.length ? applyTransitions.created : applyTransitions.partlyCreated);
  }

  /** Generated names are 20 random characters (§2.1); one already in the product is drawn again. */
  async function ensureFreeNames(tx: Tx, productId: string, rows: DeviceRow[]): Promise<void> {
    const names = new Set(rows.map((r) => r.device_name));
    for (let pending = rows; pending.length > 0; ) {
      const taken = new Set((await findDevicesByNames(tx, productId, pending.map((r) => r.device_name))).map((r) => r.device_name));
      const clashes = pending.filter((r) => taken.has(r.device_name));
      for (const r of clashes) {
        do r.device_name = idFormats.generatedDeviceName();
        while (names.has(r.device_name));
        names.add(r.device_name);
      }
      pending = clashes;
    }
  }

  return {
    /** fleet-api §4.3: A1 then A2/A3 in one transaction. */
    async checkNames(
      scope: Scope,
      input: {
        productKey: string;
        deviceNames: readonly string[] | undefined;
        nameList: readonly { deviceName?: string; nickname?: string }[] | undefined;
      },
    ): Promise<CheckedApplication> {
      const product = await products.requireProduct(scope, input.productKey);
      const entries = selectEntries(input);
      if (entries.length === 0) throw new BusinessError('iot.device.NoneDeviceNameElement');
      return inTransaction(db, async (tx) => {
        const candidates = [...new Set(entries.map((e) => e.deviceName).filter(isValidDeviceName))];
        const existing = new Set((await findDevicesByNames(tx, product.id, candidates)).map((r) => r.device_name));
        const { entries: checked, ...lists } = checkNames(entries, existing);
        const applyId = await openApply(tx, scope, product, 'NAMES', 'CHECK');
        await repo.insertEntries(
          tx,
          checked.map((e, i) => ({
            apply_id: applyId,
            seq: i + 1,
            device_name: e.deviceName,
            nickname: e.nickname ?? null,
            error_msg: e.errorMsg ?? null,
            device_id: null,
          })),
        );
        const passed = checked.every((e) => e.errorMsg === undefined);
        await move(tx, applyId, passed ? applyTransitions.checkPassed : applyTransitions.checkFailed);
        return { applyId, ...lists };
      });
    },

    /** fleet-api §4.4, the state table; repeated calls after creation create nothing (A8, I16). */
    async registerWithApplyId(scope: Scope, input: { productKey: string; applyId: string }): Promise<number> {
      const product = await products.requireProduct(scope, input.productKey);
      const applyId = parseApplyId(input.applyId);
      if (!mayCreate((await requireApply(db, scope, applyId, product.id)).status)) return applyId;
      // The entries of a CHECK_SUCCESS application change only in the transaction that wins A4 below.
      const entries = await repo.listEntries(db, applyId);
      const prepared = await buildRows(scope, product.id, entries.map((e) => ({ name: e.device_name, nickname: e.nickname })));
      return retryOnNameRace(() =>
        inTransaction(db, async (tx) => {
          if (!mayCreate((await requireApply(tx, scope, applyId, product.id)).status)) return applyId;
          // A4 is a guarded update: of two racing calls one creates, the other answers from the outcome.
          if (!(await move(tx, applyId, applyTransitions.startCreate))) {
            if (!mayCreate((await requireApply(tx, scope, applyId)).status)) return applyId;
            throw new BusinessError('iot.device.CreateDeviceTaskIsRunning');
          }
          await createChecked(tx, product, applyId, entries, prepared);
          return applyId;
        }),
      );
    },

    /** fleet-api §4.5: A5 then A6, names generated (§2.1). */
    async registerCount(scope: Scope, input: { productKey: string; count: number }): Promise<number> {
      const product = await products.requireProduct(scope, input.productKey);
      // fleet-api §4.5 (unconfirmed codes): above 10,000 DeviceCountExceeded, below 1 IllegalRequest.
      if (input.count > MAX_APPLY_ENTRIES) throw new BusinessError('iot.device.DeviceCountExceeded');
      if (input.count < 1) throw new BusinessError('iot.system.IllegalRequest', 'Count must be between 1 and 10000.');
      const names = new Set<string>();
      while (names.size < input.count) names.add(idFormats.generatedDeviceName());
      const rows = await buildRows(scope, product.id, [...names].map((name) => ({ name, nickname: null })));
      return retryOnNameRace(() =>
        inTransaction(db, async (tx) => {
          await ensureFreeNames(tx, product.id, rows);
          const applyId = await openApply(tx, scope, product, 'COUNT', 'CREATE');
          await ensureFreshIotIds(tx, rows);
          await insertDevices(tx, rows);
          await repo.insertEntries(
            tx,
            rows.map((r, i) => ({ apply_id: applyId, seq: i + 1, device_name: r.device_name, nickname: null, error_msg: null, device_id: r.id })),
          );
          await move(tx, applyId, applyTransitions.created);
          return applyId;
        }),
      );
    },

    /** fleet-api §4.6: the lists are filled only in the `…_FAILED` states. */
    async status(scope: Scope, input: { productKey: string; applyId: string }): Promise<ApplicationStatus> {
      const product = await products.requireProduct(scope, input.productKey);
      const apply = await requireApply(db, scope, parseApplyId(input.applyId), product.id);
      const result: ApplicationStatus = { status: apply.status, validNames: [], invalidNames: [], invalidDetails: [] };
      if (!failedStatuses.includes(apply.status)) return result;
      const valid = new Set<string>();
      const invalid = new Map<string, InvalidDetail>();
      for (const e of await repo.listEntries(db, apply.apply_id)) {
        if (e.error_msg === null) valid.add(e.device_name);
        else if (!invalid.has(e.device_name)) {
          invalid.set(e.device_name, { deviceName: e.device_name, nickname: e.nickname ?? undefined, errorMsg: e.error_msg });
        }
      }
      result.validNames = [...valid];
      result.invalidNames = [...invalid.keys()];
      result.invalidDetails = [...invalid.values()];
      return result;
    },

    /** fleet-api §4.7: no ProductKey; the application's live devices with their secrets, in index order. */
    async devicesOf(scope: Scope, input: { applyId: string }, request: PageRequest): Promise<Page<AppliedDevice>> {
      const apply = await requireApply(db, scope, parseApplyId(input.applyId));
      const product = await findProductById(db, apply.product_id);
      if (product === undefined) throw new BusinessError('iot.device.DeviceApplyIsNotFound');
      const total = await repo.countCreatedDevices(db, apply.apply_id);
      const rows = await repo.listCreatedDevices(db, apply.apply_id, { offset: offsetOf(request), limit: request.pageSize });
      const items = rows.map((row) => {
        const d = devices.toDevice(row, product);
        return { deviceName: d.deviceName, deviceSecret: d.deviceSecret, iotId: d.iotId, deviceId: d.deviceId };
      });
      return pageOf(items, total, request);
    },
  };
}

export type BatchRegistrationService = ReturnType<typeof createBatchRegistrationService>;

/** fleet-api §4.7: empty → NullApplyId; not a positive integer below 2^53 → InvalidFormattedApplyId. */
export function parseApplyId(value: string): number {
  if (value === '') throw new BusinessError('iot.device.NullApplyId');
  const n = /^\+?\d{1,16}$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new BusinessError('iot.device.InvalidFormattedApplyId');
  return n;
}

/**
 * fleet-api §4.4 state table: true for CHECK_SUCCESS (create now), false when creation has ended (success
 * again, nothing created twice: A8), a business error otherwise.
 */
function mayCreate(status: ApplyStatus): boolean {
  if (status === 'CHECK_SUCCESS') return true;
  if (createdStatuses.includes(status)) return false;
  if (runningStatuses.includes(status)) throw new BusinessError('iot.device.CreateDeviceTaskIsRunning');
  // CHECK_FAILED is final: the client fixes the names and opens a new application (DOCS).
  throw new BusinessError('iot.device.IncorrentDeviceApplyInfo');
}
