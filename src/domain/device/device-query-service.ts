import type { Db } from '../../storage/db.js';
import * as repo from '../../storage/repos/device-repo.js';
import type { DeviceRow, DeviceWithProductRow } from '../../storage/repos/device-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import type { Scope } from '../account/account-service.js';
import { BusinessError } from '../errors.js';
import { isValidDeviceName, isValidIotId } from '../fleet-rules.js';
import { type Page, checkPage, offsetOf, pageOf } from '../paging.js';
import type { ProductService } from '../product/product-service.js';
import type { Device, DeviceRef, DeviceStatus } from './device-service.js';
import { decodePageToken, encodePageToken } from './next-token.js';

/** A device with the version it last reported for the `default` module (fleet-api §5.1 FirmwareVersion). */
export type DeviceDetail = Device & { firmwareVersion: string | undefined };

export type DevicePage = Page<Device> & { nextToken: string | undefined };

/** fleet-api §2.3: the numbers QueryDeviceByStatus takes. */
const STATUS_BY_NUMBER: Readonly<Record<number, DeviceStatus>> = { 0: 'UNACTIVE', 1: 'ONLINE', 3: 'OFFLINE', 8: 'DISABLE' };

// fleet-api §1.4, §5.4, §5.6
const QUERY_DEVICE_PAGING = { defaultSize: 10, maxSize: 50 };
const MAX_BATCH_DETAIL_NAMES = 100;
const MAX_BATCH_STATE_DEVICES = 50;

export interface DeviceQueryDeps {
  db: Db;
  products: ProductService;
  toDevice(row: DeviceRow, product: Pick<ProductRow, 'product_key' | 'product_name' | 'node_type'>): Device;
  resolveDevice(scope: Scope, ref: DeviceRef): Promise<{ row: DeviceRow; product: ProductRow }>;
}

/** Reading devices (fleet-api §5). */
export function createDeviceQueries(deps: DeviceQueryDeps) {
  const { db, products, toDevice, resolveDevice } = deps;
  const fromJoined = (row: DeviceWithProductRow) => toDevice(row, row);

  /** Each name once, in request order; the first malformed one fails the call. */
  function checkNameList(names: readonly string[], max: number): string[] {
    if (names.length > max) throw new BusinessError('iot.device.TooManyDeviceNamesPerRequest');
    if (!names.every(isValidDeviceName)) throw new BusinessError('iot.device.InvalidFormattedDeviceNameInNameArray');
    return [...new Set(names)];
  }

  /** Rows in the order of `keys`, leaving out keys without a row. */
  function inRequestOrder<R>(keys: readonly string[], rows: readonly R[], keyOf: (row: R) => string): R[] {
    const byKey = new Map(rows.map((r) => [keyOf(r), r]));
    return keys.flatMap((k) => {
      const row = byKey.get(k);
      return row === undefined ? [] : [row];
    });
  }

  async function withFirmwareVersions(devices: Device[]): Promise<DeviceDetail[]> {
    const versions = await repo.findModuleVersions(db, devices.map((d) => d.rowId), 'default');
    return devices.map((d) => ({ ...d, firmwareVersion: versions.get(d.rowId) }));
  }

  return {
    /** QueryDeviceDetail (fleet-api §5.1). */
    async detail(scope: Scope, ref: DeviceRef): Promise<DeviceDetail> {
      const { row, product } = await resolveDevice(scope, ref);
      const device = toDevice(row, product);
      return { ...device, firmwareVersion: await repo.findModuleVersion(db, row.id, 'default') };
    },

    /**
     * QueryDevice (fleet-api §5.3, §1.4). Without a token: offset paging with the shared limits. With a
     * token: the token decides where the page starts and its number; `CurrentPage` is still range-checked
     * but ignored, and no page-depth limit applies (keyset paging stays cheap; Flotilla serves a superset).
     */
    async listByProduct(
      scope: Scope,
      productKey: string,
      paging: { currentPage?: number; pageSize?: number; nextToken?: string },
    ): Promise<DevicePage> {
      const product = await products.requireProduct(scope, productKey);
      const token = paging.nextToken === undefined || paging.nextToken === '' ? undefined : paging.nextToken;
      let request: { currentPage: number; pageSize: number };
      let after: repo.DeviceCursor | undefined;
      if (token === undefined) {
        request = checkPage(paging.currentPage, paging.pageSize, QUERY_DEVICE_PAGING);
      } else {
        const pageSize = paging.pageSize ?? QUERY_DEVICE_PAGING.defaultSize;
        if (pageSize < 1 || pageSize > QUERY_DEVICE_PAGING.maxSize || (paging.currentPage !== undefined && paging.currentPage < 1)) {
          throw new BusinessError('iot.common.InvalidPageParams');
        }
        const cursor = decodePageToken(token, product.id);
        request = { currentPage: cursor.page, pageSize };
        after = { createdAt: cursor.createdAt, id: cursor.id };
      }
      // One row more than the page tells whether another page exists.
      const listing = await repo.listDevices(
        db,
        { instanceRowId: scope.instanceRowId, productId: product.id },
        { limit: request.pageSize + 1, offset: offsetOf(request), after },
      );
      const rows = listing.rows.slice(0, request.pageSize);
      const last = rows.at(-1);
      const nextToken =
        listing.rows.length > request.pageSize && last !== undefined
          ? encodePageToken({ productId: product.id, createdAt: last.created_at, id: last.id, page: request.currentPage + 1 })
          : undefined;
      return { ...pageOf(rows.map(fromJoined), listing.total, request), nextToken };
    },

    /** BatchQueryDeviceDetail (fleet-api §5.4): unknown names are left out; duplicates answered once (unconfirmed). */
    async detailsByNames(scope: Scope, productKey: string, deviceNames: readonly string[]): Promise<DeviceDetail[]> {
      const product = await products.requireProduct(scope, productKey);
      const names = checkNameList(deviceNames, MAX_BATCH_DETAIL_NAMES);
      const rows = await repo.findDevicesByNames(db, product.id, names);
      const devices = inRequestOrder(names, rows, (r) => r.device_name).map((r) => toDevice(r, product));
      return withFirmwareVersions(devices);
    },

    /**
     * BatchGetDeviceState (fleet-api §5.6): `IotId.N` wins over `ProductKey` + `DeviceName.N`; neither is
     * iot.device.NoneDeviceNameElement and unknown devices are left out (both unconfirmed).
     */
    async states(scope: Scope, ref: { iotIds?: readonly string[]; productKey?: string; deviceNames?: readonly string[] }): Promise<Device[]> {
      if (ref.iotIds !== undefined && ref.iotIds.length > 0) {
        if (ref.iotIds.length > MAX_BATCH_STATE_DEVICES) throw new BusinessError('iot.device.TooManyDeviceNamesPerRequest');
        if (!ref.iotIds.every(isValidIotId)) throw new BusinessError('iot.device.InvalidIoTId');
        const iotIds = [...new Set(ref.iotIds)];
        const rows = await repo.findDevicesByIotIds(db, scope.instanceRowId, iotIds);
        return inRequestOrder(iotIds, rows, (r) => r.iot_id).map(fromJoined);
      }
      if (ref.deviceNames === undefined || ref.deviceNames.length === 0) throw new BusinessError('iot.device.NoneDeviceNameElement');
      const product = await products.requireProduct(scope, ref.productKey);
      const names = checkNameList(ref.deviceNames, MAX_BATCH_STATE_DEVICES);
      const rows = await repo.findDevicesByNames(db, product.id, names);
      return inRequestOrder(names, rows, (r) => r.device_name).map((r) => toDevice(r, product));
    },

    /**
     * QueryDeviceByStatus (fleet-api §5.7). A bad status is iot.system.IllegalRequest (unconfirmed); an
     * empty ProductKey counts as absent, i.e. every product of the instance (unconfirmed).
     */
    async listByStatus(
      scope: Scope,
      filter: { status: number; productKey?: string },
      paging: { currentPage?: number; pageSize?: number },
    ): Promise<Page<Device>> {
      const status = STATUS_BY_NUMBER[filter.status];
      if (status === undefined) throw new BusinessError('iot.system.IllegalRequest', 'Status must be 0, 1, 3 or 8.');
      const product =
        filter.productKey === undefined || filter.productKey === '' ? undefined : await products.requireProduct(scope, filter.productKey);
      const request = checkPage(paging.currentPage, paging.pageSize, QUERY_DEVICE_PAGING);
      const listing = await repo.listDevices(
        db,
        { instanceRowId: scope.instanceRowId, productId: product?.id, status },
        { limit: request.pageSize, offset: offsetOf(request) },
      );
      return pageOf(listing.rows.map(fromJoined), listing.total, request);
    },
  };
}

export type DeviceQueries = ReturnType<typeof createDeviceQueries>;
