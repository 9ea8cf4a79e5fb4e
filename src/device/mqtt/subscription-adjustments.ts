import type { EventEmitter } from 'node:events';
import type { Aedes, Client, Subscription } from 'aedes';
import { authorizeFilter, type DeviceIdentity } from '../gateway/topic-permissions.js';

// Where Aedes' own handling of subscriptions does not fit Alibaba's rules (device-protocol.md §1, §3), these
// adjust it at the narrowest point available: the parsed packet, or the persistence call.

/**
 * Adjusts SUBSCRIBE and UNSUBSCRIBE packets before Aedes handles them:
 * - §1: QoS 0 and 1 only, a QoS 2 subscription is granted 1. Aedes answers SUBACK with the QoS the device asked
 *   for, whatever authorizeSubscribe returned, so the request is lowered in the packet itself.
 * - A granted wildcard filter is kept in its narrowed form (`/ota/device/upgrade/+/+` → the device's own topic),
 *   so an UNSUBSCRIBE naming the filter as the device sent it is narrowed the same way, or it would remove nothing.
 */
export function subscriptionPacketNormalizer(deviceOf: (client: Client) => DeviceIdentity | undefined): (client: Client) => void {
  type Packet = { cmd: string; subscriptions?: { qos: number }[]; unsubscriptions?: string[] };
  // One listener for every connection (a closure each would cost memory per connection); Aedes sets the
  // parser's `client`.
  function normalize(this: { client: Client }, packet: Packet): void {
    if (packet.cmd === 'subscribe') {
      for (const subscription of packet.subscriptions ?? []) if (subscription.qos > 1) subscription.qos = 1;
    } else if (packet.cmd === 'unsubscribe' && packet.unsubscriptions !== undefined) {
      const device = deviceOf(this.client);
      if (device !== undefined) packet.unsubscriptions = packet.unsubscriptions.map((filter) => authorizeFilter(filter, device) ?? filter);
    }
  }
  return (client) => {
    (client as unknown as { _parser: EventEmitter })._parser.prependListener('packet', normalize);
  };
}

/**
 * Aedes stores a persistent session's SUBSCRIBE as the device sent it — `+` not narrowed, refused filters
 * included — and queues messages for the session while it is offline by those filters: another device's
 * messages would wait for this one (every device's, for the C SDK 4.x's `/ota/device/upgrade/+/+`). Only the
 * granted filters are stored, narrowed.
 */
export function storeGrantedSubscriptionsOnly(aedes: Aedes, deviceOf: (client: Client) => DeviceIdentity | undefined): void {
  type Persistence = { addSubscriptions(client: Client, subs: Subscription[]): Promise<void> };
  const persistence = (aedes as unknown as { persistence: Persistence }).persistence;
  const addSubscriptions = persistence.addSubscriptions.bind(persistence);
  persistence.addSubscriptions = (client, subs) => {
    const device = deviceOf(client);
    const granted: Subscription[] = [];
    for (const subscription of subs) {
      const topic = device === undefined ? undefined : authorizeFilter(subscription.topic, device);
      if (topic !== undefined) granted.push({ ...subscription, topic, qos: Math.min(subscription.qos, 1) as 0 | 1 });
    }
    return addSubscriptions(client, granted);
  };
}
