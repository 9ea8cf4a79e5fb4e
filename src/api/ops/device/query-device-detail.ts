import { compact, gmtLocal, utc } from '../wire-format.js';
import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';
import { deviceDetailFields } from './device-detail-fields.js';

/** fleet-api §5.1; Gmt* are `yyyy-MM-dd HH:mm:ss` in the configured zone (§1.5). */
export const queryDeviceDetail = defineOperation({
  action: 'QueryDeviceDetail',
  qps: 50,
  params: deviceRefParams,
  async run({ params, scope, services, settings, log }) {
    const d = await withFailureCode('iot.common.QueryDeviceActionError', log, () => services.devices.detail(scope, deviceRefOf(params)));
    const gmt = (ms: number | undefined) => (ms === undefined ? undefined : gmtLocal(ms, settings.gmtOffsetMinutes));
    return {
      Data: compact({
        ...deviceDetailFields(d, settings),
        IpAddress: d.ipAddress,
        Owner: true,
        UtcOnline: d.onlineAt === undefined ? undefined : utc(d.onlineAt),
        GmtOnline: gmt(d.onlineAt),
      }),
    };
  },
});
