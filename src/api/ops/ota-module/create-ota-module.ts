import { defineOperation } from '../../rpc/operation.js';
import { otaModuleFields, otaModuleParams } from './ota-module-params.js';

/** ota-api §5.1: POST only (META). */
export const createOtaModule = defineOperation({
  action: 'CreateOTAModule',
  methods: ['POST'],
  qps: 10,
  params: otaModuleParams,
  async run({ params, scope, services }) {
    await services.otaModules.create(scope, otaModuleFields(params));
    return {};
  },
});
