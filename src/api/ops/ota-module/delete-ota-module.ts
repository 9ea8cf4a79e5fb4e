import { defineOperation, text } from '../../rpc/operation.js';

/** ota-api §5.3: POST only (META). */
export const deleteOtaModule = defineOperation({
  action: 'DeleteOTAModule',
  methods: ['POST'],
  qps: 10,
  params: {
    ProductKey: text(),
    ModuleName: text(),
  },
  async run({ params, scope, services }) {
    await services.otaModules.delete(scope, params.ProductKey, params.ModuleName);
    return {};
  },
});
