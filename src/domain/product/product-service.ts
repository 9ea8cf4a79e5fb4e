import type { Db } from '../../storage/db.js';
import { inTransaction } from '../../storage/db.js';
import * as repo from '../../storage/repos/product-repo.js';
import type { ProductRow } from '../../storage/repos/product-repo.js';
import { idFormats, timeOrderedId } from '../../security/random-ids.js';
import type { SecretBox } from '../../security/secret-box.js';
import type { Scope } from '../account/account-service.js';
import type { Clock } from '../clock.js';
import { BusinessError } from '../errors.js';
import { checkProductKey, isValidDisplayName, weightedLength } from '../fleet-rules.js';
import { type Page, type PageRequest, offsetOf, pageOf } from '../paging.js';

export interface Product {
  productId: string;
  productKey: string;
  productName: string;
  productSecret: string;
  nodeType: number;
  dataFormat: number;
  authType: string;
  id2: boolean;
  netType: string;
  validateType: number;
  commodityCode: string;
  description: string | undefined;
  protocolType: string | undefined;
  categoryKey: string | undefined;
  productStatus: string;
  createdAt: number;
}

export interface NewProduct {
  productName: string;
  nodeType: number;
  dataFormat?: number;
  commodityCode?: string;
  description?: string;
  authType?: string;
  id2?: boolean;
  netType?: string;
  protocolType?: string;
  categoryKey?: string;
  validateType?: number;
  joinPermissionId?: string;
}

const NET_TYPES = ['WIFI', 'CELLULAR', 'ETHERNET', 'OTHER'];
const PROTOCOL_TYPES = ['modbus', 'opc-ua', 'customize', 'ble', 'zigbee'];

export interface ProductServiceDeps {
  db: Db;
  secretBox: SecretBox;
  clock: Clock;
}

/** Products (fleet-api §3). */
export function createProductService(deps: ProductServiceDeps) {
  const { db, secretBox, clock } = deps;

  const toProduct = (row: ProductRow): Product => ({
    productId: row.id,
    productKey: row.product_key,
    productName: row.product_name,
    productSecret: secretBox.open(row.product_secret_enc),
    nodeType: row.node_type,
    dataFormat: row.data_format,
    authType: row.auth_type,
    id2: row.id2 === 1,
    netType: row.net_type,
    validateType: row.validate_type,
    commodityCode: row.commodity_code,
    description: row.description ?? undefined,
    protocolType: row.protocol_type ?? undefined,
    categoryKey: row.category_key ?? undefined,
    productStatus: row.product_status,
    createdAt: row.created_at,
  });

  /** fleet-api §1.2 product part: empty, malformed, then unknown (or another tenant's). */
  async function requireProduct(scope: Scope, productKey: string | undefined): Promise<ProductRow> {
    const key = checkProductKey(productKey);
    const row = await repo.findProductByKey(db, scope.instanceRowId, key);
    if (row === undefined) throw new BusinessError('iot.prod.NotExistedProduct');
    return row;
  }

  function checkName(name: string): void {
    if (name === '') throw new BusinessError('iot.prod.NullProductName');
    if (!isValidDisplayName(name)) throw new BusinessError('iot.prod.InvalidFormattedProductName');
  }

  return {
    requireProduct,
    toProduct,

    async create(scope: Scope, input: NewProduct): Promise<Product> {
      checkName(input.productName);
      if (input.nodeType !== 0 && input.nodeType !== 1) throw new BusinessError('iot.prod.InvalidNodeType');
      const commodityCode = input.commodityCode ?? 'iothub';
      if (commodityCode !== 'iothub' && commodityCode !== 'iothub_senior') throw new BusinessError('iot.prod.InvalidAliyunCommodityCode');
      if (input.dataFormat !== undefined && input.dataFormat !== 0 && input.dataFormat !== 1) {
        throw new BusinessError('iot.system.IllegalRequest', 'DataFormat must be 0 or 1.');
      }
      if (input.description !== undefined && weightedLength(input.description, 2) > 100) throw new BusinessError('iot.prod.LongProductDesc');
      // fleet-api §2.4: Flotilla supports `secret` authentication only.
      const authType = input.authType ?? 'secret';
      if (authType !== 'secret') throw new BusinessError('iot.prod.InvalidProductAuthType');
      if (input.id2 === true) throw new BusinessError('iot.prod.NotOpenID2Service');
      const netType = input.netType ?? 'WIFI';
      if (!NET_TYPES.includes(netType)) {
        throw new BusinessError('iot.system.IllegalRequest', netType === 'LORA' ? 'LoRaWAN products are not supported.' : 'NetType is invalid.');
      }
      if (input.protocolType !== undefined && !PROTOCOL_TYPES.includes(input.protocolType)) {
        throw new BusinessError('iot.system.IllegalRequest', 'ProtocolType is invalid.');
      }
      const validateType = input.validateType ?? 1;
      if (validateType !== 1 && validateType !== 2) throw new BusinessError('iot.system.IllegalRequest', 'ValidateType must be 1 or 2.');
      if (input.joinPermissionId !== undefined) throw new BusinessError('iot.system.IllegalRequest', 'LoRaWAN products are not supported.');

      const now = clock.now();
      const row: ProductRow = {
        id: timeOrderedId(now),
        account_id: scope.accountId,
        instance_id: scope.instanceRowId,
        product_key: idFormats.productKey(),
        product_name: input.productName,
        product_secret_enc: '',
        node_type: input.nodeType,
        // fleet-api §3.1: DataFormat defaults to 1 (Alink JSON) when absent (unconfirmed).
        data_format: input.dataFormat ?? 1,
        auth_type: authType,
        id2: 0,
        net_type: netType,
        validate_type: validateType,
        commodity_code: commodityCode,
        description: input.description ?? null,
        protocol_type: input.protocolType ?? null,
        category_key: input.categoryKey ?? null,
        product_status: 'DEVELOPMENT_STATUS',
        // fleet-api §2.2: "one product, one secret" dynamic registration is off by default.
        dynamic_register: 0,
        created_at: now,
        modified_at: now,
        deleted_at: null,
      };
      row.product_secret_enc = secretBox.seal(idFormats.productSecret());
      await inTransaction(db, async (tx) => {
        if (await repo.productNameTaken(tx, scope.instanceRowId, input.productName)) {
          throw new BusinessError('iot.prod.AlreadyExistedProductName');
        }
        // A ProductKey is unique across all accounts and never issued twice (fleet-api §2.1, §3.5).
        while (await repo.productKeyExists(tx, row.product_key)) row.product_key = idFormats.productKey();
        await repo.insertProduct(tx, row);
      });
      return toProduct(row);
    },

    async update(scope: Scope, productKey: string, changes: { productName: string; description?: string }): Promise<void> {
      await inTransaction(db, async (tx) => {
        const key = checkProductKey(productKey);
        const row = await repo.findProductByKey(tx, scope.instanceRowId, key);
        if (row === undefined) throw new BusinessError('iot.prod.NotExistedProduct');
        checkName(changes.productName);
        // fleet-api §3.2: here a CJK character counts 1 (META).
        if (changes.description !== undefined && changes.description.length > 100) throw new BusinessError('iot.prod.LongProductDesc');
        if (await repo.productNameTaken(tx, scope.instanceRowId, changes.productName, row.id)) {
          throw new BusinessError('iot.prod.AlreadyExistedProductName');
        }
        await repo.updateProduct(tx, row.id, {
          product_name: changes.productName,
          description: changes.description === undefined ? row.description : changes.description,
          modified_at: clock.now(),
        });
      });
    },

    async query(scope: Scope, productKey: string): Promise<Product & { deviceCount: number }> {
      const row = await requireProduct(scope, productKey);
      return { ...toProduct(row), deviceCount: await repo.countLiveDevices(db, row.id) };
    },

    async list(scope: Scope, filter: { commodityCode: string | undefined }, page: PageRequest): Promise<Page<Product & { deviceCount: number }>> {
      if (filter.commodityCode !== undefined && filter.commodityCode !== 'iothub' && filter.commodityCode !== 'iothub_senior') {
        throw new BusinessError('iot.prod.InvalidAliyunCommodityCode');
      }
      const listing = await repo.listProducts(db, scope.instanceRowId, filter, { offset: offsetOf(page), limit: page.pageSize });
      return pageOf(
        listing.rows.map((r) => ({ ...toProduct(r), deviceCount: r.device_count })),
        listing.total,
        page,
      );
    },

    /**
     * fleet-api §3.5: refused while the product still has devices (unconfirmed; protects running jobs).
     * The row stays as a tombstone so its ProductKey is never issued again.
     */
    async delete(scope: Scope, productKey: string): Promise<void> {
      await inTransaction(db, async (tx) => {
        const key = checkProductKey(productKey);
        const row = await repo.findProductByKey(tx, scope.instanceRowId, key);
        if (row === undefined) throw new BusinessError('iot.prod.NotExistedProduct');
        if ((await repo.countLiveDevices(tx, row.id)) > 0) {
          throw new BusinessError('iot.system.IllegalRequest', 'The product still has devices; delete them first.');
        }
        const now = clock.now();
        await repo.updateProduct(tx, row.id, { deleted_at: now, modified_at: now });
      });
    },
  };
}

export type ProductService = ReturnType<typeof createProductService>;
