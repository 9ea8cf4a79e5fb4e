import type { Logger } from 'pino';
import { randomString } from '../../security/random-ids.js';
import type { DownloadUrlSigner } from '../../security/download-url-signer.js';
import type { BlobStore } from '../../storage/blob/blob-store.js';
import { type Db, inTransaction } from '../../storage/db.js';
import { isUniqueViolation } from '../../storage/dialect/errors.js';
import { lockAccount } from '../../storage/repos/account-repo.js';
import * as repo from '../../storage/repos/firmware-repo.js';
import type { FirmwareFileRow, FirmwareWithProduct } from '../../storage/repos/firmware-repo.js';
import { deleteObjects } from '../../storage/repos/upload-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import { DEFAULT_MODULE, checkModuleName, foldModuleName } from '../ota-module/module-rules.js';
import { type Page, type PageRequest, offsetOf, pageOf } from '../paging.js';
import type { ProductService } from '../product/product-service.js';
import { checkDescAndUdi, checkFirmwareName, checkSignMethod, checkVersion, type SignMethod } from './firmware-rules.js';
import { type PlannedFile, planFiles, verifyDeclared } from './firmware-files.js';
import type { UploadService } from './upload-service.js';

export interface NewFirmware {
  firmwareName: string;
  destVersion: string;
  productKey?: string;
  firmwareUrl?: string;
  firmwareSign?: string;
  signMethod?: string;
  firmwareSize?: number;
  firmwareDesc?: string;
  type?: number;
  srcVersion?: string;
  moduleName?: string;
  needToVerify?: boolean;
  udi?: string;
  multiFiles?: { name?: string; url?: string; size?: number; signValue?: string; fileMd5?: string }[];
}

export interface FirmwareFile {
  fileId: string;
  name: string | undefined;
  size: number;
  /** Digest per the firmware's SignMethod, lower-case hex. */
  signValue: string;
  fileMd5: string;
  /** A signed, expiring download URL (QueryOTAFirmware only). */
  url: string | undefined;
}

export interface Firmware {
  firmwareId: string;
  firmwareName: string;
  firmwareDesc: string | undefined;
  productKey: string | undefined;
  productName: string | undefined;
  moduleName: string;
  type: number;
  srcVersion: string | undefined;
  destVersion: string;
  status: number;
  verifyProgress: number;
  signMethod: SignMethod;
  udi: string | undefined;
  multiFile: boolean;
  files: FirmwareFile[];
  createdAt: number;
  modifiedAt: number;
}

export interface FirmwareServiceDeps {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  uploads: UploadService;
  products: ProductService;
  downloadUrls: DownloadUrlSigner;
  maxFirmwarePerInstance: number;
  log: Logger;
}

/** Firmware packages (ota-api §2.2–§2.5; initial verification status states.md §2 F1/F2). */
export function createFirmwareService(deps: FirmwareServiceDeps) {
  const { db, clock, blobs, uploads, products, downloadUrls, log } = deps;

  function toFirmware(row: FirmwareWithProduct, files: FirmwareFileRow[], signUrls: boolean): Firmware {
    return {
      firmwareId: row.firmware_id,
      firmwareName: row.firmware_name,
      firmwareDesc: row.firmware_desc ?? undefined,
      productKey: row.product_key ?? undefined,
      productName: row.product_name ?? undefined,
      moduleName: row.module_name,
      type: row.type,
      srcVersion: row.src_version ?? undefined,
      destVersion: row.dest_version,
      status: row.status,
      verifyProgress: row.verify_progress,
      signMethod: row.sign_method,
      udi: row.udi ?? undefined,
      multiFile: row.multi_file === 1,
      files: files.map((f) => ({
        fileId: f.file_id,
        name: f.name ?? undefined,
        size: f.size,
        signValue: f.sign_value,
        fileMd5: f.file_md5,
        url: signUrls ? downloadUrls.sign(f.file_id) : undefined,
      })),
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
    };
  }

  /** ota-api §1.8: `default` always exists; any other name must be a module of the firmware's product. */
  async function resolveModule(tx: Db, product: ProductRow | undefined, moduleName: string): Promise<string> {
    const folded = foldModuleName(moduleName);
    if (folded === DEFAULT_MODULE) return DEFAULT_MODULE;
    const stored = product === undefined ? undefined : await repo.findModuleName(tx, product.id, folded);
    if (stored === undefined) throw new BusinessError('iot.ota.InvalidOtaModuleName', `The module ${moduleName} does not exist in the product.`);
    return stored;
  }

  return {
    async create(scope: Scope, input: NewFirmware): Promise<{ firmwareId: string; createdAt: number }> {
      // ota-api §1.10 step 2: parameter constraints first.
      checkFirmwareName(input.firmwareName);
      checkVersion('DestVersion', input.destVersion);
      const signMethod = checkSignMethod(input.signMethod);
      const type = input.type ?? 0;
      if (type !== 0 && type !== 1) throw new BusinessError('iot.system.IllegalRequest', 'Type must be 0 or 1.');
      const srcVersion = input.srcVersion === '' ? undefined : input.srcVersion;
      if (type === 1 && srcVersion === undefined) {
        throw new BusinessError('iot.check.NullParameter', 'SrcVersion is required for a differential package (Type=1).');
      }
      if (srcVersion !== undefined) checkVersion('SrcVersion', srcVersion);
      if (type === 1 && srcVersion === input.destVersion) throw new BusinessError('iot.system.IllegalRequest', 'SrcVersion must differ from DestVersion.');
      checkDescAndUdi(input.firmwareDesc, input.udi);
      const moduleName = input.moduleName === undefined ? DEFAULT_MODULE : checkModuleName(input.moduleName);
      const planned = planFiles(input, signMethod);
      // Step 3: existence.
      const product = input.productKey === undefined ? undefined : await products.requireProduct(scope, input.productKey);

      const now = clock.now();
      const firmwareId = randomString(26);
      try {
        await inTransaction(db, async (tx) => {
          // Name uniqueness and the package limit are count-then-insert rules (racing creates must not both pass).
          await lockAccount(tx, scope.accountId);
          const storedModule = await resolveModule(tx, product, moduleName);
          if (await repo.firmwareNameTaken(tx, scope.instanceRowId, input.firmwareName)) throw new BusinessError('iot.firmware.AlreadyExistedFirmwareName');
          // ota-api §2.2: a quota (500 on Alibaba), FLOTILLA_MAX_FIRMWARE_PER_INSTANCE here; code unconfirmed.
          if ((await repo.countFirmware(tx, scope.instanceRowId)) >= deps.maxFirmwarePerInstance) {
            throw new BusinessError('iot.system.IllegalRequest', `The instance already holds the maximum of ${deps.maxFirmwarePerInstance} firmware.`);
          }
          const objects = [];
          for (const file of planned) {
            const object = await uploads.usableObject(tx, scope, file.url, 'firmware');
            verifyDeclared(file, object, signMethod);
            objects.push(object);
          }
          await repo.insertFirmware(tx, {
            firmware_id: firmwareId,
            account_id: scope.accountId,
            instance_id: scope.instanceRowId,
            product_id: product?.id ?? null,
            module_name: storedModule,
            firmware_name: input.firmwareName,
            firmware_desc: input.firmwareDesc ?? null,
            type,
            src_version: srcVersion ?? null,
            dest_version: input.destVersion,
            sign_method: signMethod,
            // states.md §2 F1/F2.
            status: input.needToVerify === false ? -1 : 0,
            verify_progress: 0,
            udi: input.udi ?? null,
            multi_file: input.multiFiles !== undefined && input.multiFiles.length > 0 ? 1 : 0,
            created_at: now,
            modified_at: now,
          });
          const rows: FirmwareFileRow[] = [];
          for (const [seq, object] of objects.entries()) {
            // Guarded claim: an object used meanwhile by another create (or purged) fails this one whole.
            if (!(await uploads.claim(tx, object.id, firmwareId))) {
              throw new BusinessError('iot.system.IllegalRequest', `The file at ${planned[seq]!.url} is already used by another firmware.`);
            }
            rows.push(fileRow(firmwareId, seq, planned[seq]!, object, signMethod));
          }
          await repo.insertFiles(tx, rows);
        });
      } catch (err) {
        if (isUniqueViolation(err)) throw new BusinessError('iot.firmware.AlreadyExistedFirmwareName');
        throw err;
      }
      return { firmwareId, createdAt: now };
    },

    async query(scope: Scope, firmwareId: string): Promise<Firmware> {
      const row = await repo.findFirmware(db, scope.instanceRowId, firmwareId);
      if (row === undefined) throw new BusinessError('iot.ota.FirmwareNotFound');
      return toFirmware(row, await repo.listFiles(db, [firmwareId]), true);
    },

    /** ota-api §2.4: an unknown ProductKey yields an empty list (unconfirmed). */
    async list(scope: Scope, filter: { productKey?: string; destVersion?: string }, page: PageRequest): Promise<Page<Firmware>> {
      let productId: string | undefined;
      if (filter.productKey !== undefined) {
        const product = await products.requireProduct(scope, filter.productKey).catch((err: unknown) => {
          if (err instanceof BusinessError) return undefined;
          throw err;
        });
        if (product === undefined) return pageOf([], 0, page);
        productId = product.id;
      }
      const listing = await repo.listFirmware(
        db,
        scope.instanceRowId,
        { productId, destVersion: filter.destVersion },
        { offset: offsetOf(page), limit: page.pageSize },
      );
      const files = await repo.listFiles(db, listing.rows.map((r) => r.firmware_id));
      const items = listing.rows.map((r) => toFirmware(r, files.filter((f) => f.firmware_id === r.firmware_id), false));
      return pageOf(items, listing.total, page);
    },

    /** ota-api §2.5: removes the firmware, its files, their stored objects and blobs. */
    async delete(scope: Scope, firmwareId: string): Promise<void> {
      const blobIds = await inTransaction(db, async (tx) => {
        const row = await repo.findFirmware(tx, scope.instanceRowId, firmwareId);
        if (row === undefined) throw new BusinessError('iot.ota.FirmwareNotFound');
        // TODO(rollout-engine issue): refuse with iot.system.IllegalRequest while a job of this firmware is PLANNED/IN_PROGRESS or has unfinished tasks.
        const files = await repo.listFiles(tx, [firmwareId]);
        await repo.deleteFirmware(tx, firmwareId);
        return deleteObjects(tx, files.map((f) => f.object_id));
      });
      // After the commit: a crash here leaves an unreferenced file, never a firmware without its bytes.
      for (const blobId of blobIds) await blobs.delete(blobId).catch((err: unknown) => log.warn({ err, blobId }, 'deleting a blob failed'));
    },
  };
}

function fileRow(firmwareId: string, seq: number, file: PlannedFile, object: { id: string; size: number; md5: string; sha256: string }, signMethod: SignMethod): FirmwareFileRow {
  return {
    firmware_id: firmwareId,
    seq,
    // The download handle in signed URLs: opaque and unguessable.
    file_id: randomString(32),
    name: file.name ?? null,
    object_id: object.id,
    size: object.size,
    sign_value: signMethod === 'MD5' ? object.md5 : object.sha256,
    file_md5: object.md5,
    sha256: object.sha256,
  };
}

export type FirmwareService = ReturnType<typeof createFirmwareService>;
