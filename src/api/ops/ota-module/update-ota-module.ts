import { defineOperation, text } from '../../rpc/operation.js';

/** ota-api §5.2: POST only (META); alias and description only, the name is immutable. */
export const updateOtaModule = defineOperation({
  action: 'UpdateOTAModule',
  methods: ['POST'],
  qps: 10,
  params: {
    ProductKey: text(),
    ModuleName: text(),
    AliasName: text().optional(),
    Desc: text().optional(),
  },
  async run({ params, scope, services }) {
    await services.otaModules.update(scope, {
      productKey: params.ProductKey,
      moduleName: params.ModuleName,
      aliasName: params.AliasName,
      desc: params.Desc,
    });
    return {};
  },
});
