import { defineOperation, repeatList, text } from '../../rpc/operation.js';
import { deviceDetailFields } from './device-detail-fields.js';

/**
 * fleet-api §5.4: items in the doubled `Data.Data[]`; like QueryDeviceDetail but without Online, IpAddress
 * and Owner. No storage-failure code is listed for it, so those stay iot.system.SystemException.
 */
export const batchQueryDeviceDetail = defineOperation({
  action: 'BatchQueryDeviceDetail',
  qps: 5,
  params: {
    ProductKey: text(),
    DeviceName: repeatList(text()),
  },
  async run({ params, scope, services, settings }) {
    const devices = await services.devices.detailsByNames(scope, params.ProductKey, params.DeviceName);
    return { Data: { Data: devices.map((d) => deviceDetailFields(d, settings)) } };
  },
});
