import { checkPage } from '../../../domain/paging.js';
import { compact } from '../wire-format.js';
import { defineOperation, integer, text } from '../../rpc/operation.js';

/** fleet-api §3.4: paging fields inside Data, items in Data.List.ProductInfo. */
export const queryProductList = defineOperation({
  action: 'QueryProductList',
  qps: 50,
  params: {
    CurrentPage: integer(),
    PageSize: integer(),
    AliyunCommodityCode: text().optional(),
  },
  async run({ params, scope, services }) {
    const request = checkPage(params.CurrentPage, params.PageSize, { defaultSize: 10, maxSize: 200 });
    const page = await services.products.list(scope, { commodityCode: params.AliyunCommodityCode }, request);
    return {
      Data: {
        CurrentPage: page.currentPage,
        PageSize: page.pageSize,
        PageCount: page.pageCount,
        Total: page.total,
        List: {
          ProductInfo: page.items.map((p) =>
            compact({
              ProductKey: p.productKey,
              ProductName: p.productName,
              Description: p.description,
              NodeType: p.nodeType,
              DataFormat: p.dataFormat,
              AuthType: p.authType,
              DeviceCount: p.deviceCount,
              GmtCreate: p.createdAt,
            }),
          ),
        },
      },
    };
  },
});
