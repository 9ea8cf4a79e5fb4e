import { compact } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

/**
 * ota-api §1.4: every doc edition shows `2020-10-13T09:46Z` (minute precision, UTC); we emit that form
 * (unconfirmed, an epoch number would also survive the SDK).
 */
function gmtMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16)}Z`;
}

/** ota-api §5.4: GET only (META; the SDK sends GET). `Data` is a bare array, unlike every other list. */
export const listOtaModuleByProduct = defineOperation({
  action: 'ListOTAModuleByProduct',
  methods: ['GET'],
  qps: 10,
  params: {
    ProductKey: text(),
  },
  async run({ params, scope, services }) {
    const modules = await services.otaModules.listByProduct(scope, params.ProductKey);
    return {
      Data: modules.map((m) =>
        compact({
          ModuleName: m.moduleName,
          ProductKey: m.productKey,
          AliasName: m.aliasName,
          Desc: m.desc,
          GmtCreate: gmtMinute(m.createdAt),
          GmtModified: gmtMinute(m.modifiedAt),
        }),
      ),
    };
  },
});
