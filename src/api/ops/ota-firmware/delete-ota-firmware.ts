import { defineOperation, text } from '../../rpc/operation.js';

/** ota-api §2.5: the firmware, its files and their stored bytes go; a second delete is FirmwareNotFound. */
export const deleteOtaFirmware = defineOperation({
  action: 'DeleteOTAFirmware',
  qps: 10,
  params: {
    FirmwareId: text(),
  },
  async run({ params, scope, services }) {
    await services.firmware.delete(scope, params.FirmwareId);
    return {};
  },
});
