import { defineOperation, text } from '../../rpc/operation.js';

/** fleet-api §3.5 */
export const deleteProduct = defineOperation({
  action: 'DeleteProduct',
  qps: 500,
  params: { ProductKey: text() },
  async run({ params, scope, services }) {
    await services.products.delete(scope, params.ProductKey);
    return {};
  },
});
