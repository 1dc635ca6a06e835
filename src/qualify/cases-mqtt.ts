/**
 * The MQTT cases: the device connects with HUBTLS_DEVICE_CONNECTION_STRING and the case's control
 * makes the hub misbehave the way IoT Hub can (drop, outage, withheld acknowledgements, refusal);
 * graders measure what the device did about it.
 */
import * as g from './grade-mqtt.js';
import { mqttConnects } from './recording.js';
import type { CaseHub, QualifyCase, Recording } from './types.js';

const RETRY_DOC =
  'learn.microsoft.com/azure/iot-develop/concepts-manage-device-reconnections (exponential backoff with jitter)';
const MQTT_DOC = 'learn.microsoft.com/azure/iot/iot-mqtt-connect-to-iot-hub (MQTT 3.1.1 support and deviations)';
const hub = { profile: 'iothub-2025', chain: 'g2', eccChain: 'ecc-g3' };

/** Runs `act` the first time only (control runs again on every event and tick). */
function once(h: CaseHub, step: string, act: () => void): void {
  if (h.done.has(step)) return;
  h.done.add(step);
  act();
}

/** Once, a good session after the device's first accepted MQTT CONNECT: 1 s later (its open() has completed). */
function afterGoodSession(rec: Recording, h: CaseHub, now: number, act: () => void): void {
  const first = mqttConnects(rec)[0];
  if (!first || now - first.t < 1000) return;
  once(h, 'good-session', act);
}

/** Once, `waitMs` after the first matching session event, unless `settled` says the device already acted. */
function dropAfter(rec: Recording, h: CaseHub, now: number, first: { t: number } | undefined, waitMs: number): void {
  if (!first || h.done.has('dropped') || now - first.t < waitMs) return;
  h.done.add('dropped');
  h.drop();
}

const qos1 = (rec: Recording) =>
  rec.sessions.filter((s) => s.action === 'telemetry' && (s.detail as { qos?: number } | undefined)?.qos === 1);
const subscribes = (rec: Recording) => rec.sessions.filter((s) => s.action === 'subscribe');

export const MQTT_CASES: QualifyCase[] = [
  {
    id: 'mqtt-backoff',
    group: 'mqtt',
    title: 'reconnects with exponential backoff and jitter during an outage',
    proves: 'after the hub drops it and refuses connections, the waits between attempts grow exponentially with jitter',
    azure: 'IoT Hub drops connections on upgrades and failovers; Microsoft requires exponential backoff with jitter',
    source: RETRY_DOC,
    endpoint: { ...hub, faults: [{ id: 'outage', fault: 'reset-after-hello', active: false }] },
    limitMs: 30_000,
    control: (rec, h, now) => afterGoodSession(rec, h, now, () => (h.startFault('outage'), h.drop())),
    enough: (rec) => g.backoffSettled(g.waitsAfterDrop(rec).waits),
    grade: g.gradeBackoff,
  },
  {
    id: 'mqtt-reconnect-wait',
    group: 'mqtt',
    title: 'waits at least 1 s before reconnecting after a good session ends',
    proves: 'a device whose session the hub closes does not reconnect at once',
    azure: 'a hub that restarts meets its whole fleet at once unless devices wait (with jitter) before reconnecting',
    source: RETRY_DOC,
    endpoint: hub,
    limitMs: 20_000,
    control: (rec, h, now) => afterGoodSession(rec, h, now, () => h.drop()),
    enough: (rec) => g.waitsAfterDrop(rec).attempts.length >= 1,
    grade: g.gradeReconnectWait,
  },
  {
    id: 'mqtt-puback-retry',
    group: 'mqtt',
    title: 'republishes QoS 1 with the same packet id and DUP when PUBACK is withheld',
    proves:
      'an unacknowledged QoS 1 telemetry message is retransmitted (same packet id, DUP=1), not lost or duplicated',
    azure:
      'IoT Hub acknowledges QoS 1 PUBLISH with PUBACK; a connection lost before it leaves the message unacknowledged',
    source: MQTT_DOC,
    endpoint: hub,
    limitMs: 30_000,
    control: (rec, h, now) => {
      once(h, 'withhold', () => h.withhold('puback', 1));
      const [first, again] = qos1(rec);
      if (!again) dropAfter(rec, h, now, first, 1500);
    },
    enough: (rec) => qos1(rec).length >= 2,
    grade: g.gradePubackRetry,
  },
  {
    id: 'mqtt-suback-retry',
    group: 'mqtt',
    title: 'retries SUBSCRIBE when SUBACK is withheld',
    proves: 'a subscription without SUBACK is sent again (on the connection or after reconnecting)',
    azure:
      'cloud-to-device messages, methods and twin updates reach only a device whose SUBSCRIBE IoT Hub acknowledged',
    source: MQTT_DOC,
    endpoint: hub,
    limitMs: 30_000,
    control: (rec, h, now) => {
      once(h, 'withhold', () => h.withhold('suback', 1));
      const subs = subscribes(rec);
      const filter = (s: (typeof subs)[number]) => (s.detail as { filter?: string } | undefined)?.filter;
      if (!subs.slice(1).some((s) => filter(s) === filter(subs[0]!))) dropAfter(rec, h, now, subs[0], 1500);
    },
    enough: (rec) => {
      const [first, ...rest] = subscribes(rec);
      const f = (s: typeof first) => (s?.detail as { filter?: string } | undefined)?.filter;
      return first !== undefined && rest.some((s) => f(s) === f(first));
    },
    grade: g.gradeSubackRetry,
  },
  {
    id: 'mqtt-pingresp',
    group: 'mqtt',
    title: 'notices a missing PINGRESP and reconnects within 1.5× keep-alive',
    proves: 'the device detects a dead connection by its keep-alive instead of waiting for TCP',
    azure: 'IoT Hub answers PINGREQ; a half-open connection (NAT timeout, load balancer) answers nothing',
    source: MQTT_DOC,
    endpoint: hub,
    limitMs: 60_000,
    control: (_rec, h) => {
      once(h, 'withhold', () => h.withhold('pingresp', 1_000));
    },
    enough: (rec) => {
      const ping = rec.sessions.find((s) => (s.detail as { withheld?: string } | undefined)?.withheld === 'pingresp');
      return ping !== undefined && rec.handshakes.some((x) => x.t > ping.t);
    },
    grade: g.gradePingresp,
  },
  {
    id: 'mqtt-sas-renewal',
    group: 'mqtt',
    title: 'renews its SAS token before expiry',
    proves:
      'the device reconnects with a new token before the old one expires (judged when its token lives under the time limit)',
    azure: 'IoT Hub closes an MQTT connection when its SAS token expires; the device must reconnect with a new token',
    source: 'learn.microsoft.com/azure/iot-hub/authenticate-authorize-sas (security tokens, expiry)',
    endpoint: hub,
    limitMs: 60_000,
    enough: (rec) => {
      const ok = mqttConnects(rec);
      const closed = rec.sessions.some((s) => s.action === 'disconnect' && /SAS token expired/.test(s.reason));
      const refused = rec.sessions.filter((s) => s.action === 'connect' && !s.ok).length;
      const x509 = (ok[0]?.detail as { auth?: string } | undefined)?.auth?.startsWith('x509') ?? false;
      return x509 || ok.length >= 2 || (closed && refused >= 3);
    },
    grade: g.gradeSasRenewal,
  },
  {
    id: 'mqtt-throttle',
    group: 'mqtt',
    title: 'backs off while throttled (CONNACK 3)',
    proves:
      'a throttled device (connection closed, CONNECT refused with CONNACK 3 for 20 s) does not reconnect in a loop',
    azure:
      'IoT Hub throttles (429 / CONNACK 3) past the per-unit connection and message rates; the SDKs then wait 10 s or more',
    source: 'learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling',
    endpoint: hub,
    limitMs: 30_000,
    control: (rec, h, now) => afterGoodSession(rec, h, now, () => h.throttle(20)),
    enough: (rec) => g.backoffSettled(g.waitsAfterDrop(rec).waits),
    grade: g.gradeThrottle,
  },
  {
    id: 'mqtt-second-connection',
    group: 'mqtt',
    title: 'comes back when the hub closes it for a second connection of the same device',
    proves: 'when another connection with its identity takes over, the device reconnects, without fighting in a loop',
    azure: 'IoT Hub allows one connection per device id and closes the older one when a new one connects',
    source: MQTT_DOC,
    endpoint: hub,
    limitMs: 20_000,
    control: (rec, h, now) => afterGoodSession(rec, h, now, () => h.connectTwin()),
    enough: (rec) => rec.drops.length > 0 && mqttConnects(rec).filter((s) => s.t > rec.drops[0]!).length >= 2,
    grade: g.gradeSecondConnection,
  },
  {
    id: 'mqtt-connack5',
    group: 'mqtt',
    title: 'does not hammer the hub after CONNACK 5 (not authorized)',
    proves: 'a device with a wrong or expired credential stops or backs off instead of reconnecting in a loop',
    azure: 'IoT Hub answers a bad SAS token or certificate with CONNACK 5 and throttles hubs whose devices hammer it',
    source: 'learn.microsoft.com/azure/iot-hub/iot-hub-devguide-quotas-throttling (connections per second)',
    endpoint: hub,
    credentials: 'sas-wrong-key',
    limitMs: 12_000,
    enough: (rec) => rec.sessions.filter((s) => s.action === 'connect' && s.status === 5).length >= 8,
    grade: g.gradeNoHammer,
  },
];
