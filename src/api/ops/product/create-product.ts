import { compact } from '../wire-format.js';
import { boolean, defineOperation, integer, text } from '../../rpc/operation.js';

/** fleet-api §3.1 */
export const createProduct = defineOperation({
  action: 'CreateProduct',
  qps: 50,
  params: {
    ProductName: text(),
    NodeType: integer(),
    DataFormat: integer().optional(),
    AliyunCommodityCode: text().optional(),
    Description: text().optional(),
    AuthType: text().optional(),
    Id2: boolean().optional(),
    NetType: text().optional(),
    ProtocolType: text().optional(),
    CategoryKey: text().optional(),
    PublishAuto: boolean().optional(),
    ValidateType: integer().optional(),
    JoinPermissionId: text().optional(),
  },
  async run({ params, scope, services }) {
    const p = await services.products.create(scope, {
      productName: params.ProductName,
      nodeType: params.NodeType,
      dataFormat: params.DataFormat,
      commodityCode: params.AliyunCommodityCode,
      description: params.Description,
      authType: params.AuthType,
      id2: params.Id2,
      netType: params.NetType,
      protocolType: params.ProtocolType,
      categoryKey: params.CategoryKey,
      validateType: params.ValidateType,
      joinPermissionId: params.JoinPermissionId,
    });
    return {
      ProductKey: p.productKey,
      Data: compact({
        ProductKey: p.productKey,
        ProductName: p.productName,
        ProductSecret: p.productSecret,
        NodeType: p.nodeType,
        DataFormat: p.dataFormat,
        AuthType: p.authType,
        Id2: p.id2,
        Description: p.description,
        ProtocolType: p.protocolType,
        AliyunCommodityCode: p.commodityCode,
      }),
    };
  },
});
