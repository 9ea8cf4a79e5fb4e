import { text } from '../../rpc/operation.js';

/**
 * fleet-api §1.2: the three ways to name one device. None is required at the gateway, so an absent or
 * empty value is a business failure answered by the domain (iot.prod.NullProductKey, …).
 */
export const deviceRefParams = {
  IotId: text().optional(),
  ProductKey: text().optional(),
  DeviceName: text().optional(),
};

export function deviceRefOf(params: { IotId?: string; ProductKey?: string; DeviceName?: string }) {
  return { iotId: params.IotId, productKey: params.ProductKey, deviceName: params.DeviceName };
}
