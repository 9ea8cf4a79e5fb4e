/**
 * Which topics a signed-in device may use (device-protocol.md §3): only its own, publishing only to its up
 * topics and subscribing only to its down ones. Alibaba's topic classes, with `{pk}/{dn}` at fixed levels:
 *   /ota/device/{kind}/{pk}/{dn}     OTA (kinds and directions below)
 *   /sys/{pk}/{dn}/…                 system topics (OTA pull and MQTT download among them)
 *   /ext/{feature}/{pk}/{dn}/…       extensions (NTP, sub-device session …)
 *   /shadow/{get|update}/{pk}/{dn}   device shadow
 *   /broadcast/{pk}/…                product broadcast (subscribe only)
 *   /{pk}/{dn}/…                     custom topics
 * Flotilla itself uses only the OTA ones; the rest are granted so that the subscriptions the Node SDK makes on
 * connect succeed (§3). Outside the OTA topics both directions are allowed in the device's own namespace: which
 * custom or system topic is up or down is a per-product setting on Alibaba that Flotilla does not model.
 */
export interface DeviceIdentity {
  readonly productKey: string;
  readonly deviceName: string;
}

/** The up topics Flotilla acts on; everything else a device may publish is accepted and goes nowhere. */
export type UpTopic = 'inform' | 'progress' | 'request' | 'firmwareGet' | 'fileDownload' | 'other';

export const deviceTopics = {
  upgrade: (d: DeviceIdentity) => `/ota/device/upgrade/${d.productKey}/${d.deviceName}`,
  request: (d: DeviceIdentity) => `/ota/device/request/${d.productKey}/${d.deviceName}`,
  firmwareGetReply: (d: DeviceIdentity) => `/sys/${d.productKey}/${d.deviceName}/thing/ota/firmware/get_reply`,
  fileDownloadReply: (d: DeviceIdentity) => `/sys/${d.productKey}/${d.deviceName}/thing/file/download_reply`,
};

type Direction = 'up' | 'down' | 'both';

const otaKinds: Record<string, { direction: Direction; up?: UpTopic }> = {
  inform: { direction: 'up', up: 'inform' },
  progress: { direction: 'up', up: 'progress' },
  // §3: the legacy pull is published by the device and answered on the same topic.
  request: { direction: 'both', up: 'request' },
  upgrade: { direction: 'down' },
};

// The OTA topics under /sys/{pk}/{dn}/ (joined by '/'): the only ones there with a fixed direction.
const sysOtaTopics: Record<string, { direction: Direction; up?: UpTopic }> = {
  'thing/ota/firmware/get': { direction: 'up', up: 'firmwareGet' },
  'thing/ota/firmware/get_reply': { direction: 'down' },
  'thing/file/download': { direction: 'up', up: 'fileDownload' },
  'thing/file/download_reply': { direction: 'down' },
};

/** The kind of up topic, or undefined when the device may not publish there (another device's, a down topic …). */
export function classifyPublish(topic: string, device: DeviceIdentity): UpTopic | undefined {
  const levels = topic.split('/');
  if (levels[0] !== '' || levels.length < 3) return undefined;
  const own = (pkAt: number, dnAt?: number) =>
    levels[pkAt] === device.productKey && (dnAt === undefined || levels[dnAt] === device.deviceName);

  switch (levels[1]) {
    case 'ota': {
      const kind = levels[2] === 'device' && levels.length === 6 ? otaKinds[levels[3]!] : undefined;
      if (kind === undefined || !own(4, 5) || kind.direction === 'down') return undefined;
      return kind.up;
    }
    case 'sys': {
      if (levels.length < 5 || !own(2, 3)) return undefined;
      const ota = sysOtaTopics[levels.slice(4).join('/')];
      if (ota === undefined) return 'other';
      return ota.direction === 'down' ? undefined : ota.up;
    }
    case 'ext':
      return levels.length >= 6 && own(3, 4) ? 'other' : undefined;
    case 'shadow':
      return levels.length === 5 && (levels[2] === 'get' || levels[2] === 'update') && own(3, 4) ? 'other' : undefined;
    case 'broadcast':
      return undefined;
    default:
      return levels.length >= 4 && own(1, 2) ? 'other' : undefined;
  }
}

/**
 * The filter to subscribe on the device's behalf, or undefined when refused. `+` where the product key or
 * device name stands is narrowed to the device's own (§3: the C SDK 4.x subscribes `/ota/device/upgrade/+/+`
 * and must get only its own messages); `#` or `+` anywhere before those levels is refused.
 */
export function authorizeFilter(filter: string, device: DeviceIdentity): string | undefined {
  const levels = filter.split('/');
  if (levels[0] !== '' || levels.length < 3) return undefined;
  // Narrows levels[at] to `value` when it is `+` or already `value`; false when it names someone else.
  const narrow = (at: number, value: string) => {
    if (levels[at] === '+' || levels[at] === value) {
      levels[at] = value;
      return true;
    }
    return false;
  };
  const identityAt = (pkAt: number, dnAt: number) =>
    levels.length > dnAt && narrow(pkAt, device.productKey) && narrow(dnAt, device.deviceName);
  const hasWildcard = (from: number, to: number) => levels.slice(from, to).some((l) => l === '+' || l === '#');

  switch (levels[1]) {
    case 'ota': {
      const kind = levels[2] === 'device' && levels.length === 6 ? otaKinds[levels[3]!] : undefined;
      if (kind === undefined || kind.direction === 'up' || !identityAt(4, 5)) return undefined;
      break;
    }
    case 'sys': {
      if (!identityAt(2, 3) || levels.length < 5) return undefined;
      const ota = sysOtaTopics[levels.slice(4).join('/')];
      if (ota?.direction === 'up') return undefined;
      break;
    }
    case 'ext':
      if (hasWildcard(2, 3) || !identityAt(3, 4) || levels.length < 6) return undefined;
      break;
    case 'shadow':
      if (levels.length !== 5 || (levels[2] !== 'get' && levels[2] !== 'update') || !identityAt(3, 4)) return undefined;
      break;
    case 'broadcast':
      if (levels.length < 4 || !narrow(2, device.productKey)) return undefined;
      break;
    default:
      if (levels.length < 4 || !identityAt(1, 2)) return undefined;
  }
  return levels.join('/');
}
