import type { Logger } from 'pino';
import type { OtaDeviceEvents } from '../../domain/rollout/device-ota-events.js';
import type { Metrics } from '../../observability/metrics.js';
import { deviceTopics } from '../gateway/topic-permissions.js';
import type { DeviceSession } from '../mqtt/device-sessions.js';
import type { UpTopicHandler, UpTopicHandlers } from '../mqtt/broker.js';
import { type MessageId, type Parsed, parseFirmwareGet, parseInform, parseLegacyRequest, parseProgress } from './ota-messages.js';
import type { PushPublisher } from './push-publisher.js';

export interface OtaTopicHandlerDeps {
  events: OtaDeviceEvents;
  publisher: PushPublisher;
  metrics: Metrics;
  log: Logger;
}

type HandledTopic = 'inform' | 'progress' | 'firmwareGet' | 'request';

// Replies go out with QoS 1, like pushes: a device with a persistent session still gets the answer to a pull
// it sent just before losing its connection (Alibaba's QoS for replies is unconfirmed).
const REPLY_QOS = 1;

/**
 * The handlers of the OTA up topics except `thing/file/download` (device-protocol.md §4.1, §4.3–§4.5). Each one
 * parses leniently, hands valid messages to the rollout side and answers pulls. A message that does not parse
 * is dropped with a log line and a metric; no handler throws, whatever a device sends.
 */
export function createOtaTopicHandlers(deps: OtaTopicHandlerDeps): UpTopicHandlers {
  const { events, publisher, metrics, log } = deps;

  /** Runs `act` for a message that parsed; counts and logs every outcome; never throws. */
  function handler<T>(topic: HandledTopic, parse: (payload: Buffer) => Parsed<T>, act: (session: DeviceSession, message: T) => Promise<void>): UpTopicHandler {
    // Label lookups cost more than the increment; the busiest counter (accepted) is looked up once.
    const accepted = metrics.deviceMessages.labels({ topic, outcome: 'accepted' });
    return async (session, payload) => {
      try {
        const parsed = parse(payload);
        if (!parsed.ok) {
          const device = session.device.iotId;
          metrics.deviceMessages.inc({ topic, outcome: parsed.outcome });
          log.info({ device, topic, bytes: payload.length, reason: parsed.reason }, `device message ${parsed.outcome === 'ignored' ? 'ignored' : 'dropped as malformed'}`);
          return;
        }
        await act(session, parsed.message);
        accepted.inc();
      } catch (err) {
        // Storage or broker trouble, not the device's fault: the message is lost, the connection stays.
        metrics.deviceMessages.inc({ topic, outcome: 'error' });
        log.error({ err, device: session.device.iotId, topic }, 'device message not processed');
      }
    };
  }

  return {
    inform: handler('inform', parseInform, (session, m) => events.versionReported(session.device, m.report)),
    progress: handler('progress', parseProgress, (session, m) => events.progressReported(session.device, m.report)),
    firmwareGet: handler('firmwareGet', parseFirmwareGet, async (session, m) => {
      const notice = await events.pendingUpdate(session.device, m.module);
      // §4.4: the push's data, or `data: {}` when nothing is pending (unconfirmed; the C SDK 4.x treats a reply
      // without url/streamId as "nothing to do").
      const data = notice === undefined ? {} : (await publisher.pushPayload(session.device, notice)).data;
      await publisher.publishJson(deviceTopics.firmwareGetReply(session.device), reply(m.id, data), REPLY_QOS);
    }),
    request: handler('request', parseLegacyRequest, async (session, m) => {
      const notice = await events.pendingUpdate(session.device, m.module);
      const topic = deviceTopics.request(session.device);
      if (notice === undefined) {
        // §4.5 gives no "nothing pending" answer (unconfirmed). Flotilla answers like §4.4, in the Alink reply
        // form of §5; the C SDK 3.x ignores it (no url), other devices learn that their pull was heard.
        await publisher.publishJson(topic, reply(m.id, {}), REPLY_QOS);
        return;
      }
      // §4.5: the answer is the push format of §4.2, on the same topic. Its id echoes the request's (unconfirmed;
      // the C SDK 3.x does not read it, and an echoed id lets other devices match answer and request).
      const push = await publisher.pushPayload(session.device, notice);
      await publisher.publishJson(topic, { ...push, id: m.id }, REPLY_QOS);
    }),
  };
}

/** An Alink reply (§5) echoing the request's id with its JSON type (§4.4). */
function reply(id: MessageId, data: object) {
  return { id, code: 200, data, message: 'success' };
}
