import type { MqttClient } from 'mqtt';
import { iot, type sdkClient } from './clients.js';
import type { TestServer } from './server.js';

type Sdk = ReturnType<typeof sdkClient>;

/** The OTA topics of one device (device-protocol.md §3). */
export function otaTopics(d: { productKey: string; deviceName: string }) {
  const { productKey: pk, deviceName: dn } = d;
  return {
    inform: `/ota/device/inform/${pk}/${dn}`,
    progress: `/ota/device/progress/${pk}/${dn}`,
    request: `/ota/device/request/${pk}/${dn}`,
    upgrade: `/ota/device/upgrade/${pk}/${dn}`,
    firmwareGet: `/sys/${pk}/${dn}/thing/ota/firmware/get`,
    firmwareGetReply: `/sys/${pk}/${dn}/thing/ota/firmware/get_reply`,
    fileDownload: `/sys/${pk}/${dn}/thing/file/download`,
  };
}

/** Messages arriving on a subscribed topic, taken in order. */
export function messageQueue(client: MqttClient, topic: string) {
  const queued: Buffer[] = [];
  const waiting: ((payload: Buffer) => void)[] = [];
  client.on('message', (t, payload) => {
    if (t !== topic) return;
    const next = waiting.shift();
    if (next) next(payload);
    else queued.push(payload);
  });
  return {
    next(timeoutMs = 10_000): Promise<Buffer> {
      const ready = queued.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no message on ${topic}`)), timeoutMs);
        waiting.push((payload) => {
          clearTimeout(timer);
          resolve(payload);
        });
      });
    },
    get pending(): number {
      return queued.length;
    },
  };
}

/** Module → version as ListOTAModuleVersionsByDevice reports them. */
export async function moduleVersions(sdk: Sdk, iotId: string): Promise<Record<string, string>> {
  const res = await sdk.listOTAModuleVersionsByDevice(new iot.ListOTAModuleVersionsByDeviceRequest({ iotId, pageSize: 200, currentPage: 1 }));
  if (res.body.success !== true) throw new Error(`ListOTAModuleVersionsByDevice failed: ${res.body.code}`);
  return Object.fromEntries((res.body.data?.simpleOTAModuleInfo ?? []).map((m) => [m.moduleName!, m.moduleVersion!]));
}

export async function firmwareVersion(sdk: Sdk, iotId: string): Promise<string | undefined> {
  const res = await sdk.queryDeviceDetail(new iot.QueryDeviceDetailRequest({ iotId }));
  return res.body.data?.firmwareVersion;
}

/** The value of one sample of GET /metrics (0 when the sample is not there yet). */
export async function metricValue(server: TestServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const wanted = Object.entries(labels);
  for (const line of text.split('\n')) {
    const match = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (match === null || match[1] !== name) continue;
    const have = new Map([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (wanted.every(([k, v]) => have.get(k) === v)) return Number(match[3]);
  }
  return 0;
}

/** device_ota_progress rows of one device, as stored. */
export async function progressRows(server: TestServer, deviceRowId: string) {
  return server.service.storage.db.selectFrom('device_ota_progress').select(['module_name', 'step', 'description']).where('device_id', '=', deviceRowId).orderBy('module_name').execute();
}
