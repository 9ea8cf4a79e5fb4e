import { repeatObjects, text } from '../../rpc/operation.js';

/**
 * `Device.N.ProductKey` / `Device.N.DeviceName` of the relation calls (fleet-api §7.6, §7.7). Not required at
 * the gateway: no list is iot.device.NoneDeviceNameElement, and an entry missing a field names no device.
 */
export const relationEntries = () => repeatObjects({ ProductKey: text().optional(), DeviceName: text().optional() }).optional();

export function toMemberRefs(entries: readonly { ProductKey?: string; DeviceName?: string }[] | undefined) {
  return entries?.map((e) => ({ productKey: e.ProductKey, deviceName: e.DeviceName }));
}
