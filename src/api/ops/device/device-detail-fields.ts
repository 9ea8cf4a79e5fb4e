import type { DeviceDetail } from '../../../domain/device/device-query-service.js';
import type { OperationSettings } from '../../rpc/operation.js';
import { compact, gmtLocal, utc } from '../wire-format.js';

/**
 * The fields QueryDeviceDetail (fleet-api §5.1) and BatchQueryDeviceDetail (§5.4) share; Gmt* are
 * `yyyy-MM-dd HH:mm:ss` in the configured zone (§1.5). Absent times are omitted.
 */
export function deviceDetailFields(d: DeviceDetail, settings: OperationSettings): Record<string, unknown> {
  const gmt = (ms: number | undefined) => (ms === undefined ? undefined : gmtLocal(ms, settings.gmtOffsetMinutes));
  return compact({
    IotId: d.iotId,
    ProductKey: d.productKey,
    ProductName: d.productName,
    DeviceName: d.deviceName,
    DeviceSecret: d.deviceSecret,
    Nickname: d.nickname,
    NodeType: d.nodeType,
    Status: d.status,
    FirmwareVersion: d.firmwareVersion,
    Region: settings.region,
    UtcCreate: utc(d.createdAt),
    GmtCreate: gmt(d.createdAt),
    UtcActive: d.activatedAt === undefined ? undefined : utc(d.activatedAt),
    GmtActive: gmt(d.activatedAt),
  });
}
