import { defineOperation, text } from '../../rpc/operation.js';

/** fleet-api §3.2 */
export const updateProduct = defineOperation({
  action: 'UpdateProduct',
  qps: 10,
  params: {
    ProductKey: text(),
    ProductName: text(),
    Description: text().optional(),
  },
  async run({ params, scope, services }) {
    await services.products.update(scope, params.ProductKey, { productName: params.ProductName, description: params.Description });
    return {};
  },
});
