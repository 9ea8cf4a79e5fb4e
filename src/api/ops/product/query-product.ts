import { compact } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

// fleet-api §2.4: NetType is stored as the request string and answered as a number.
const NET_TYPE_NUMBER: Record<string, number> = { WIFI: 3, CELLULAR: 6, ETHERNET: 7, OTHER: 8 };

/** fleet-api §3.3 */
export const queryProduct = defineOperation({
  action: 'QueryProduct',
  qps: 50,
  params: { ProductKey: text() },
  async run({ params, scope, services }) {
    const p = await services.products.query(scope, params.ProductKey);
    return {
      Data: compact({
        ProductKey: p.productKey,
        ProductName: p.productName,
        ProductSecret: p.productSecret,
        ProductStatus: p.productStatus,
        NodeType: p.nodeType,
        DataFormat: p.dataFormat,
        AuthType: p.authType,
        Id2: p.id2,
        NetType: NET_TYPE_NUMBER[p.netType] ?? 8,
        ValidateType: p.validateType,
        AliyunCommodityCode: p.commodityCode,
        Description: p.description,
        ProtocolType: p.protocolType,
        DeviceCount: p.deviceCount,
        GmtCreate: p.createdAt,
        Owner: true,
        CategoryKey: p.categoryKey,
        // fleet-api §3.3: no category catalogue, so the name is the key (unconfirmed).
        CategoryName: p.categoryKey,
      }),
    };
  },
});
