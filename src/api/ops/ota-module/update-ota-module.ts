import { defineOperation } from '../../rpc/operation.js';
import { otaModuleFields, otaModuleParams } from './ota-module-params.js';

/** ota-api §5.2: POST only (META); alias and description only, the name is immutable. */
export const updateOtaModule = defineOperation({
  action: 'UpdateOTAModule',
  methods: ['POST'],
  qps: 10,
  params: otaModuleParams,
  async run({ params, scope, services }) {
    await services.otaModules.update(scope, otaModuleFields(params));
    return {};
  },
});
