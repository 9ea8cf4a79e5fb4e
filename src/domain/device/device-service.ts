import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-repo.js';
import type { DeviceRow } from '../../storage/repos/device-repo.js';
import { findProductById, type ProductRow } from '../../storage/repos/product-repo.js';
import { deviceIdOf, idFormats, timeOrderedId } from '../../security/random-ids.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import { isValidDeviceName, isValidIotId, isValidNickname } from '../fleet-rules.js';
import type { ProductService } from '../product/product-service.js';
import type { DeviceChangeFeed } from './device-change-feed.js';
import { createDeviceLifecycle } from './device-lifecycle-service.js';
import { createDeviceQueries } from './device-query-service.js';

export type DeviceStatus = DeviceRow['status'];

export interface Device {
  rowId: string;
  iotId: string;
  deviceId: string;
  productKey: string;
  productName: string;
  nodeType: number;
  deviceName: string;
  deviceSecret: string;
  nickname: string | undefined;
  status: DeviceStatus;
  statusAt: number;
  createdAt: number;
  modifiedAt: number;
  activatedAt: number | undefined;
  onlineAt: number | undefined;
  ipAddress: string | undefined;
}

/** How one device is named in a request (fleet-api §1.2). */
export interface DeviceRef {
  iotId?: string;
  productKey?: string;
  deviceName?: string;
}

export interface DeviceServiceDeps {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
  products: ProductService;
  /** Told of every change to a device's sign-in facts (disable, enable, delete). */
  changes: DeviceChangeFeed;
}

/** Devices: registration and look-up (fleet-api §4.1, §1.2). */
export function createDeviceService(deps: DeviceServiceDeps) {
  const { db, secretBox, clock, products } = deps;

  function toDevice(row: DeviceRow, product: Pick<ProductRow, 'product_key' | 'product_name' | 'node_type'>): Device {
    return {
      rowId: row.id,
      iotId: row.iot_id,
      deviceId: deviceIdOf(row.iot_id),
      productKey: product.product_key,
      productName: product.product_name,
      nodeType: product.node_type,
      deviceName: row.device_name,
      deviceSecret: secretBox.open(row.device_secret_enc),
      nickname: row.nickname ?? undefined,
      status: row.status,
      statusAt: row.status_at,
      createdAt: row.created_at,
      modifiedAt: row.modified_at,
      activatedAt: row.activated_at ?? undefined,
      onlineAt: row.online_at ?? undefined,
      ipAddress: row.ip_address ?? undefined,
    };
  }

  /** A new device row, UNACTIVE, with a fresh IotId and CSPRNG secret (fleet-api §4.1, states.md D1). */
  function newDeviceRow(scope: Scope, productId: string, deviceName: string, nickname: string | null, now: number): DeviceRow {
    return {
      id: timeOrderedId(now),
      iot_id: idFormats.iotId(),
      account_id: scope.accountId,
      instance_id: scope.instanceRowId,
      product_id: productId,
      device_name: deviceName,
      device_secret_enc: secretBox.seal(idFormats.deviceSecret()),
      nickname,
      status: 'UNACTIVE',
      status_at: now,
      created_at: now,
      modified_at: now,
      activated_at: null,
      online_at: null,
      ip_address: null,
      deleted_at: null,
    };
  }

  /**
   * fleet-api §1.2: IotId wins when non-empty; otherwise ProductKey + DeviceName. Another tenant's device
   * is answered exactly like a missing one.
   */
  async function resolveDevice(scope: Scope, ref: DeviceRef): Promise<{ row: DeviceRow; product: ProductRow }> {
    if (ref.iotId !== undefined && ref.iotId !== '') {
      if (!isValidIotId(ref.iotId)) throw new BusinessError('iot.device.InvalidIoTId');
      const row = await repo.findDeviceByIotId(db, scope.instanceRowId, ref.iotId);
      if (row === undefined) throw new BusinessError('iot.device.NotExistedDevice');
      const product = await findProductById(db, row.product_id);
      if (product === undefined) throw new BusinessError('iot.device.NotExistedDevice');
      return { row, product };
    }
    if (ref.productKey === undefined || ref.productKey === '') throw new BusinessError('iot.prod.NullProductKey');
    if (ref.deviceName === undefined || ref.deviceName === '') throw new BusinessError('iot.device.NullDeviceName');
    const product = await products.requireProduct(scope, ref.productKey);
    if (!isValidDeviceName(ref.deviceName)) throw new BusinessError('iot.device.InvalidFormattedDeviceName');
    const row = await repo.findDeviceByName(db, product.id, ref.deviceName);
    if (row === undefined) throw new BusinessError('iot.device.NotExistedDevice');
    return { row, product };
  }

  return {
    toDevice,
    newDeviceRow,
    resolveDevice,
    // fleet-api §5 and §6 live in their own files; one service object for every device operation.
    ...createDeviceQueries({ db, products, toDevice, resolveDevice }),
    ...createDeviceLifecycle({ db, clock, resolveDevice, changes: deps.changes }),

    /** QueryDeviceInfo and GetDeviceStatus read no more than this (fleet-api §5.2, §5.5). */
    async getDevice(scope: Scope, ref: DeviceRef): Promise<Device> {
      const { row, product } = await resolveDevice(scope, ref);
      return toDevice(row, product);
    },

    /** The last version reported for `default`, QueryDeviceDetail's FirmwareVersion. */
    firmwareVersion: (deviceRowId: string) => repo.findModuleVersion(db, deviceRowId, 'default'),

    /** fleet-api §4.1 */
    async register(scope: Scope, input: { productKey: string; deviceName?: string; nickname?: string; loraFields: boolean }): Promise<Device> {
      if (input.loraFields) throw new BusinessError('iot.system.IllegalRequest', 'LoRaWAN devices are not supported.');
      const product = await products.requireProduct(scope, input.productKey);
      const chosenName = input.deviceName !== undefined && input.deviceName !== '' ? input.deviceName : undefined;
      if (chosenName !== undefined && !isValidDeviceName(chosenName)) throw new BusinessError('iot.device.InvalidFormattedDeviceName');
      if (input.nickname !== undefined && input.nickname !== '' && !isValidNickname(input.nickname)) {
        throw new BusinessError('iot.system.IllegalRequest', 'The nickname is invalid.');
      }
      const now = clock.now();
      const row = newDeviceRow(scope, product.id, chosenName ?? idFormats.generatedDeviceName(), input.nickname || null, now);
      await inTransaction(db, async (tx) => {
        if ((await repo.findDeviceByName(tx, product.id, row.device_name)) !== undefined) {
          throw new BusinessError('iot.device.AlreadyExistedDeviceName');
        }
        // IotIds are unique across accounts and never reused after deletion (fleet-api §2.1).
        while (await repo.iotIdExists(tx, row.iot_id)) row.iot_id = idFormats.iotId();
        await repo.insertDevices(tx, [row]);
      });
      return toDevice(row, product);
    },
  };
}

export type DeviceService = ReturnType<typeof createDeviceService>;
