import { utc } from '../wire-format.js';
import { defineOperation, text } from '../../rpc/operation.js';

/** ota-api §2.1: one upload slot per call; the form fields for the PostObject endpoint (§6). */
export const generateOtaUploadUrl = defineOperation({
  action: 'GenerateOTAUploadURL',
  qps: 10,
  params: {
    FileSuffix: text().optional(),
  },
  async run({ params, scope, services }) {
    const slot = await services.uploads.issueSlot(scope, 'firmware', params.FileSuffix);
    return {
      Data: {
        Key: slot.key,
        Host: slot.host,
        Policy: slot.policy,
        OSSAccessKeyId: slot.accessKeyId,
        Signature: slot.signature,
        ObjectStorage: 'OSS',
        FirmwareUrl: slot.objectUrl,
        UtcCreate: utc(slot.createdAt),
      },
    };
  },
});
