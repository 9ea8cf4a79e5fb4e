import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { randomString, timeOrderedId } from '../../security/random-ids.js';
import type { DeploymentCredentials } from '../../security/derived-secrets.js';
import { BlobTooLargeError, type BlobStore } from '../../storage/blob/blob-store.js';
import { type Db, inTransaction, type Tx } from '../../storage/db.js';
import { isUniqueViolation } from '../../storage/dialect/errors.js';
import * as repo from '../../storage/repos/upload-repo.js';
import type { StoredObjectRow, UploadSlotRow } from '../../storage/repos/upload-repo.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import { buildPolicy, describeCondition, parsePolicy, policySignatureMatches, signPolicy } from './policy.js';

export type UploadKind = 'firmware' | 'dnlist';

/** What GenerateOTAUploadURL / GenerateDeviceNameListURL answer (ota-api §2.1, fleet-api §8). */
export interface IssuedSlot {
  host: string;
  key: string;
  policy: string;
  signature: string;
  accessKeyId: string;
  /** `Host + "/" + Key`: FirmwareUrl or FileUrl. */
  objectUrl: string;
  createdAt: number;
}

/** Why the upload endpoint refuses a form (ota-api §6.3 steps 3–8); the endpoint maps each to an OSS error. */
export type UploadRejectionReason =
  | 'unknown-key-id'
  | 'bad-signature'
  | 'unreadable-policy'
  | 'expired'
  | 'condition-failed'
  | 'too-large'
  | 'too-small'
  | 'no-slot'
  | 'object-in-use';

export class UploadRejected extends Error {
  constructor(
    readonly reason: UploadRejectionReason,
    message: string = reason,
  ) {
    super(message);
    this.name = 'UploadRejected';
  }
}

/** The four signed fields of a PostObject form (ota-api §6.2); other fields by lower-cased name. */
export interface UploadForm {
  accessKeyId: string;
  policy: string;
  signature: string;
  key: string;
  fields: ReadonlyMap<string, string>;
}

/** A form that passed every check: where the file goes and how large it may be. */
export interface UploadGrant {
  key: string;
  slot: UploadSlotRow;
  minBytes: number;
  maxBytes: number;
}

// ota-api §2.1: the DOC's suffixes; any case accepted, lower case emitted.
const FIRMWARE_SUFFIXES = ['bin', 'dav', 'apk', 'tar', 'gz', 'tar.gz', 'zip', 'gzip'];
// ota-api §2.1 / fleet-api §8: an uploaded file not used within 60 minutes is purged (DOC).
export const UNCLAIMED_OBJECT_TTL_MS = 60 * 60_000;
// OSS limit on object keys; longer keys cannot come from a slot Flotilla issued anyway.
const MAX_KEY_LENGTH = 1023;
const PURGE_BATCH = 500;

export interface UploadServiceDeps {
  db: Db;
  clock: Clock;
  blobs: BlobStore;
  credentials: Pick<DeploymentCredentials, 'uploadKeyId' | 'uploadSecret'>;
  /** FLOTILLA_PUBLIC_URL or the bound address, without a trailing slash. */
  publicBaseUrl: () => string;
  limits: { maxPackageBytes: number; maxDeviceListBytes: number; uploadSlotMs: number };
  log: Logger;
}

/** Upload slots, the PostObject checks and the uploaded objects (ota-api §2.1, §6; fleet-api §8). */
export function createUploadService(deps: UploadServiceDeps) {
  const { db, clock, blobs, credentials, limits, log } = deps;
  // The fixed URL layout: the form is POSTed to {public URL}/oss; FirmwareUrl = Host + "/" + Key.
  const host = () => `${deps.publicBaseUrl()}/oss`;

  async function removeBlob(blobId: string): Promise<void> {
    await blobs.delete(blobId).catch((err: unknown) => log.warn({ err, blobId }, 'deleting a blob failed'));
  }

  return {
    host,

    /** The largest file any slot allows: bodies clearly above it are refused before reading (ota-api §6.3 step 7). */
    largestMaxBytes: () => Math.max(limits.maxPackageBytes, limits.maxDeviceListBytes),

    /** ota-api §2.1 (firmware, `FileSuffix`) and fleet-api §8 (device-name lists, always `.csv`). */
    async issueSlot(scope: Scope, kind: UploadKind, fileSuffix?: string): Promise<IssuedSlot> {
      let suffix = 'csv';
      if (kind === 'firmware') {
        suffix = (fileSuffix ?? 'bin').toLowerCase();
        if (!FIRMWARE_SUFFIXES.includes(suffix)) {
          throw new BusinessError('iot.system.IllegalRequest', `FileSuffix must be one of ${FIRMWARE_SUFFIXES.join(', ')}.`);
        }
      }
      const now = clock.now();
      const keyPrefix = `ota/${randomBytes(16).toString('hex')}/`;
      const key = `${keyPrefix}${randomString(25, 'abcdefghijklmnopqrstuvwxyz0123456789')}.${suffix}`;
      const maxBytes = kind === 'firmware' ? limits.maxPackageBytes : limits.maxDeviceListBytes;
      const expiresAt = now + limits.uploadSlotMs;
      const policy = buildPolicy({ expiresAt, maxBytes, keyPrefix });
      await repo.insertSlot(db, {
        key_prefix: keyPrefix,
        object_key: key,
        account_id: scope.accountId,
        instance_id: scope.instanceRowId,
        kind,
        max_bytes: maxBytes,
        expires_at: expiresAt,
        created_at: now,
      });
      return {
        host: host(),
        key,
        policy,
        signature: signPolicy(credentials.uploadSecret, policy),
        accessKeyId: credentials.uploadKeyId,
        objectUrl: `${host()}/${key}`,
        createdAt: now,
      };
    },

    /**
     * ota-api §6.3 steps 3–8 for a form whose required fields are present. `startedAt` is when the request
     * began (headers received), so a large upload begun in time is not cut off by the expiry.
     */
    async authorize(form: UploadForm, startedAt: number): Promise<UploadGrant> {
      if (form.accessKeyId !== credentials.uploadKeyId) {
        throw new UploadRejected('unknown-key-id', 'The OSS Access Key Id you provided does not exist in our records.');
      }
      if (!policySignatureMatches(credentials.uploadSecret, form.policy, form.signature)) {
        throw new UploadRejected('bad-signature', 'The request signature we calculated does not match the signature you provided.');
      }
      const policy = parsePolicy(form.policy);
      if (policy === undefined) throw new UploadRejected('unreadable-policy', 'Invalid Policy: the policy must be Base64 JSON with expiration and conditions.');
      if (startedAt > policy.expiresAt) throw new UploadRejected('expired', 'Invalid according to Policy: Policy expired.');
      let minBytes = 0;
      let maxBytes = Infinity;
      let keyPrefix: string | undefined;
      const valueOf = (field: string) => (field === 'key' ? form.key : (form.fields.get(field) ?? ''));
      for (const condition of policy.conditions) {
        const failed = () => new UploadRejected('condition-failed', `Invalid according to Policy: Policy Condition failed: ${describeCondition(condition)}`);
        if (condition.kind === 'length') {
          minBytes = Math.max(minBytes, condition.min);
          maxBytes = Math.min(maxBytes, condition.max);
        } else if (condition.kind === 'starts-with') {
          if (!valueOf(condition.field).startsWith(condition.prefix)) throw failed();
          if (condition.field === 'key') keyPrefix = condition.prefix;
        } else if (condition.kind === 'eq') {
          if (valueOf(condition.field) !== condition.value) throw failed();
        } else {
          // Flotilla issues only the two conditions above (unconfirmed: what OSS does with others).
          throw failed();
        }
      }
      if (form.key === '' || form.key.length > MAX_KEY_LENGTH || /[\u0000-\u001f\u007f]/.test(form.key)) {
        throw new UploadRejected('condition-failed', 'The object key is invalid.');
      }
      // Step 8: the prefix must be one Flotilla issued and still valid; its slot names the owner.
      const slot = keyPrefix === undefined ? undefined : await repo.findSlot(db, keyPrefix);
      if (slot === undefined || slot.expires_at < startedAt) {
        throw new UploadRejected('no-slot', 'Invalid according to Policy: the upload slot does not exist or has expired.');
      }
      return { key: form.key, slot, minBytes, maxBytes: Math.min(maxBytes, slot.max_bytes) };
    },

    /**
     * Streams the file into the blob store (hashing MD5 and SHA-256 on the way) and records the object. A
     * second upload to the same key replaces the first unless a firmware already uses it. Whatever fails,
     * neither a blob nor a row is left behind.
     */
    async store(grant: UploadGrant, source: Readable, contentType: string | undefined): Promise<StoredObjectRow> {
      let blob;
      try {
        blob = await blobs.put(source, { maxBytes: grant.maxBytes });
      } catch (err) {
        if (err instanceof BlobTooLargeError) throw new UploadRejected('too-large', 'Your proposed upload exceeds the maximum allowed size.');
        throw err;
      }
      if (blob.size < grant.minBytes) {
        await removeBlob(blob.blobId);
        throw new UploadRejected('too-small', 'Your proposed upload is smaller than the minimum allowed size.');
      }
      const row: StoredObjectRow = {
        id: timeOrderedId(clock.now()),
        object_key: grant.key,
        account_id: grant.slot.account_id,
        instance_id: grant.slot.instance_id,
        kind: grant.slot.kind,
        blob_id: blob.blobId,
        size: blob.size,
        md5: blob.md5,
        sha256: blob.sha256,
        content_type: contentType ?? null,
        uploaded_at: clock.now(),
        claimed_by: null,
        claimed_at: null,
      };
      try {
        const replaced = await replaceObject(row);
        if (replaced !== undefined) await removeBlob(replaced);
        return row;
      } catch (err) {
        await removeBlob(blob.blobId);
        throw err;
      }
    },

    /**
     * The uploaded object a URL names, for CreateOTAFirmware (and DnListFileUrl): issued by Flotilla, uploaded
     * through a slot of this account+instance, of the right kind and not yet used. Anything else is
     * iot.system.IllegalRequest (ota-api §2.2); another tenant's object reads like a missing one.
     */
    async usableObject(tx: Tx, scope: Scope, url: string, kind: UploadKind): Promise<StoredObjectRow> {
      const key = objectKeyOf(host(), url);
      if (key === undefined) throw new BusinessError('iot.system.IllegalRequest', `The URL ${url} was not issued by GenerateOTAUploadURL.`);
      const object = await repo.findObjectByKey(tx, key);
      if (object === undefined || object.instance_id !== scope.instanceRowId || object.account_id !== scope.accountId || object.kind !== kind) {
        throw new BusinessError('iot.system.IllegalRequest', `No file has been uploaded to ${url}.`);
      }
      if (object.claimed_by !== null) throw new BusinessError('iot.system.IllegalRequest', `The file at ${url} is already used by another firmware.`);
      return object;
    },

    /** Marks an object used; false when another request claimed (or the purge removed) it first. */
    claim: (tx: Tx, objectId: string, claimedBy: string) => repo.claimObject(tx, objectId, claimedBy, clock.now()),

    /** ota-api §2.1: unclaimed objects older than 60 minutes and expired slots go (blob and row). */
    async purgeStale(): Promise<{ objects: number; slots: number }> {
      const now = clock.now();
      let objects = 0;
      for (;;) {
        const blobIds = await repo.deleteStaleUnclaimedObjects(db, now - UNCLAIMED_OBJECT_TTL_MS, PURGE_BATCH);
        for (const blobId of blobIds) await removeBlob(blobId);
        objects += blobIds.length;
        if (blobIds.length < PURGE_BATCH) break;
      }
      const slots = await repo.deleteExpiredSlots(db, now);
      return { objects, slots };
    },
  };

  /** Delete-then-insert in one transaction; a racing upload to the same key is retried, a claimed object is kept. */
  async function replaceObject(row: StoredObjectRow): Promise<string | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await inTransaction(db, async (tx) => {
          const replaced = await repo.deleteUnclaimedObjectByKey(tx, row.object_key);
          await repo.insertObject(tx, row);
          return replaced;
        });
      } catch (err) {
        if (!isUniqueViolation(err) || attempt >= 3) throw err;
        const existing = await repo.findObjectByKey(db, row.object_key);
        if (existing?.claimed_by != null) {
          throw new UploadRejected('object-in-use', 'The object is already used by a firmware and cannot be replaced.');
        }
      }
    }
  }
}

/** `{Host}/{Key}` → Key; the query string (a signed download URL's) is ignored (ota-api §2.2). */
export function objectKeyOf(host: string, url: string): string | undefined {
  const base = `${host}/`;
  if (!url.startsWith(base)) return undefined;
  const path = url.slice(base.length).replace(/[?#].*$/s, '');
  if (path === '') return undefined;
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

export type UploadService = ReturnType<typeof createUploadService>;
