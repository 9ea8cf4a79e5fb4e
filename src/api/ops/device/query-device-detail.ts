import { compact, gmtLocal, utc } from '../wire-format.js';
import { defineOperation } from '../../rpc/operation.js';
import { withFailureCode } from '../storage-failure.js';
import { deviceRefOf, deviceRefParams } from './device-ref-params.js';

/** fleet-api §5.1; Gmt* are `yyyy-MM-dd HH:mm:ss` in the configured zone (§1.5). */
export const queryDeviceDetail = defineOperation({
  action: 'QueryDeviceDetail',
  qps: 50,
  params: deviceRefParams,
  async run({ params, scope, services, settings, log }) {
    const d = await withFailureCode('iot.common.QueryDeviceActionError', log, () => services.devices.detail(scope, deviceRefOf(params)));
    const gmt = (ms: number | undefined) => (ms === undefined ? undefined : gmtLocal(ms, settings.gmtOffsetMinutes));
    const iso = (ms: number | undefined) => (ms === undefined ? undefined : utc(ms));
    return {
      Data: compact({
        IotId: d.iotId,
        ProductKey: d.productKey,
        ProductName: d.productName,
        DeviceName: d.deviceName,
        DeviceSecret: d.deviceSecret,
        Nickname: d.nickname,
        NodeType: d.nodeType,
        Status: d.status,
        FirmwareVersion: d.firmwareVersion,
        IpAddress: d.ipAddress,
        Region: settings.region,
        Owner: true,
        UtcCreate: utc(d.createdAt),
        GmtCreate: gmt(d.createdAt),
        UtcActive: iso(d.activatedAt),
        GmtActive: gmt(d.activatedAt),
        UtcOnline: iso(d.onlineAt),
        GmtOnline: gmt(d.onlineAt),
      }),
    };
  },
});
