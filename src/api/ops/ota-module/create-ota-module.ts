import { defineOperation, text } from '../../rpc/operation.js';

/** ota-api §5.1: POST only (META). */
export const createOtaModule = defineOperation({
  action: 'CreateOTAModule',
  methods: ['POST'],
  qps: 10,
  params: {
    ProductKey: text(),
    ModuleName: text(),
    AliasName: text().optional(),
    Desc: text().optional(),
  },
  async run({ params, scope, services }) {
    await services.otaModules.create(scope, {
      productKey: params.ProductKey,
      moduleName: params.ModuleName,
      aliasName: params.AliasName,
      desc: params.Desc,
    });
    return {};
  },
});
