/**
 * In-band fault injection as IoT Hub's E2E tests use it: a telemetry message with the
 * AzIoTHub_FaultOperation* properties. Over MQTT (the `mqtt` package as the device): KillTcp resets
 * the connection, InvokeAuthError closes it and refuses the next CONNECT with CONNACK 5. Over HTTPS
 * (azure-iot-device-http): InvokeThrottling makes the next message fail with 429. Each act is a
 * `fault` notice. Nothing sleeps: delays are 0 and durations long enough for the refusal to be seen.
 */
import t from 'tap';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import mqtt from 'mqtt';
import azureDevice from 'azure-iot-device';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey, type Trust } from '../helpers/devices.js';
import { nextEvent } from '../helpers/events.js';
import { hubClient, Message } from '../helpers/azure-sdk.js';
import type { NoticeEvent } from '../../src/events/types.js';

const HUB = 'myhub.azure-devices.net';
const sasFor = (id: string, key: string) =>
  azureDevice.SharedAccessSignature.create(HUB, id, key, String(Math.floor(Date.now() / 1000) + 3600)).toString();

const faultProps = (type: string, reason: string, durationSecs: number) => ({
  AzIoTHub_FaultOperationType: type,
  AzIoTHub_FaultOperationCloseReason: reason,
  AzIoTHub_FaultOperationDelayInSecs: '0',
  AzIoTHub_FaultOperationDurationInSecs: String(durationSecs),
});

function connect(th: TestHub, trust: Trust, id: string, key: string): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: th.port,
    servername: 'localhost',
    ca: trust.g2,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clientId: id,
    username: `${HUB}/${id}/?api-version=2021-04-12`,
    password: sasFor(id, key),
  });
}

const faultNotice = (th: TestHub, type: string, from: number) =>
  nextEvent(
    th,
    (e): e is NoticeEvent =>
      e.type === 'notice' && e.what === 'fault' && (e.fault as { fault?: string } | undefined)?.fault === type,
    20_000,
    from,
  );

t.test('in-band fault injection (AzIoTHub_FaultOperationType)', async (t) => {
  const key = randomKey();
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, {
      name: 'inband-faults',
      endpoints: [
        { name: 'hub-https', kind: 'iothub', hostnames: [HUB], profile: 'iothub-2025', chain: 'g2', after: 'https' },
        {
          name: 'hub-mqtt',
          kind: 'iothub',
          hostnames: ['localhost'],
          profile: 'iothub-2025',
          chain: 'g2',
          after: 'mqtt',
        },
      ],
      devices: ['killed', 'shut', 'locked-out', 'throttled'].map((id) => ({ id, auth: 'sas', primaryKey: key })),
    }),
  ]);

  await t.test('MQTT KillTcp: the message is acknowledged, then the TCP connection is reset', async (t) => {
    const mark = th.events.length;
    const c = await connect(th, trust, 'killed', key);
    const errors: string[] = [];
    c.on('error', (e: Error & { code?: string | number }) => errors.push(String(e.code ?? e.message)));
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const topic = `devices/killed/messages/events/${new URLSearchParams(faultProps('KillTcp', 'boom', 1)).toString()}`;
    await c.publishAsync(topic, 'kill me', { qos: 1 });
    t.pass('PUBACK received for the fault message');
    await closed;
    c.end(true);
    const n = await faultNotice(th, 'KillTcp', mark);
    t.match(n.msg, /in-band fault KillTcp from killed reset the TCP connection \(boom\)/);
    t.equal(n.endpoint, 'hub-mqtt');
    const gone = await nextSession(th, (e) => e.action === 'disconnect' && e.deviceId === 'killed', mark);
    t.notMatch(gone.reason, /DISCONNECT/, 'the device did not say goodbye: the hub cut it');
    t.comment(`client saw: ${errors.join(', ') || 'a plain close'}`);
  });

  await t.test('MQTT ShutDownMqtt: closed cleanly by the hub, and the device may come straight back', async (t) => {
    const mark = th.events.length;
    const c = await connect(th, trust, 'shut', key);
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const props = new URLSearchParams(faultProps('ShutDownMqtt', 'byebye', 1)).toString();
    await c.publishAsync(`devices/shut/messages/events/${props}`, 'bye', { qos: 1 });
    await closed;
    c.end(true);
    const n = await faultNotice(th, 'ShutDownMqtt', mark);
    t.match(n.msg, /closed the MQTT connection \(byebye\)/);
    const gone = await nextSession(th, (e) => e.action === 'disconnect' && e.deviceId === 'shut', mark);
    t.match(gone.reason, /in-band fault ShutDownMqtt/);
    await (await connect(th, trust, 'shut', key)).endAsync();
    t.pass('reconnected: no refusal window for a shutdown');
  });

  await t.test('MQTT InvokeAuthError: the connection is closed and CONNECT refused with CONNACK 5', async (t) => {
    const mark = th.events.length;
    const c = await connect(th, trust, 'locked-out', key);
    c.on('error', () => {});
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    const props = new URLSearchParams(faultProps('InvokeAuthError', 'authentication failure', 600)).toString();
    await c.publishAsync(`devices/locked-out/messages/events/${props}`, 'lock me out', { qos: 1 });
    await closed;
    c.end(true);
    const err = await connect(th, trust, 'locked-out', key).then(
      (again) => (again.end(true), undefined),
      (e: Error & { code?: number }) => e,
    );
    t.equal(err?.code, 5, `reconnect refused: ${err?.message}`);
    const n = await faultNotice(th, 'InvokeAuthError', mark);
    t.match(n.msg, /refuse the device as unauthorized for 600 s/);
    const refused = await nextSession(th, (e) => e.action === 'connect' && !e.ok && e.deviceId === 'locked-out', mark);
    t.same([refused.status, refused.errorCode], [5, 401003]);
    t.match(refused.reason, /in-band fault InvokeAuthError in force/);
  });

  await t.test('HTTPS InvokeThrottling: the next message gets 429 ThrottlingException', async (t) => {
    const agent = new https.Agent({ keepAlive: false });
    (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => Duplex }).createConnection = (o) =>
      tls.connect({ ...o, host: '127.0.0.1', port: th.port });
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=throttled;SharedAccessKey=${key}`,
      ca: trust.g2,
      transport: 'https',
      agent,
    });
    t.teardown(() => client.close());
    const mark = th.events.length;
    const fault = new Message('throttle me');
    for (const [k, v] of Object.entries(faultProps('InvokeThrottling', 'throttle connection', 600)))
      fault.properties.add(k, v);
    await client.sendEvent(fault);
    await faultNotice(th, 'InvokeThrottling', mark);
    const err = await client.sendEvent(new Message('next')).then(
      () => undefined,
      (e: Error) => e,
    );
    t.ok(err, `the next message failed: ${err?.message}`);
    const refused = await nextSession(th, (e) => e.deviceId === 'throttled' && e.status === 429, mark);
    t.equal(refused.errorCode, 429001);
  });
});
