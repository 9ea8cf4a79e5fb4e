import { utc } from '../wire-format.js';
import { defineOperation } from '../../rpc/operation.js';

/**
 * fleet-api §8: the upload slot for a DnListFileUrl device-name list — GenerateOTAUploadURL's mechanism with
 * other field names (`AccessKeyId`, `FileUrl`), a `.csv` key and the device-list size limit.
 */
export const generateDeviceNameListUrl = defineOperation({
  action: 'GenerateDeviceNameListURL',
  qps: 10,
  params: {},
  async run({ scope, services }) {
    const slot = await services.uploads.issueSlot(scope, 'dnlist');
    return {
      Data: {
        Host: slot.host,
        Key: slot.key,
        AccessKeyId: slot.accessKeyId,
        Policy: slot.policy,
        Signature: slot.signature,
        FileUrl: slot.objectUrl,
        ObjectStorage: 'OSS',
        UtcCreate: utc(slot.createdAt),
      },
    };
  },
});
