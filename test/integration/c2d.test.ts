/**
 * Cloud-to-device from the hub core's one queue per device, with the Azure device SDK as the device:
 * over HTTPS (azure-iot-device-http polls; complete, abandon → redelivered with deliveryCount 1,
 * reject, a stale lock token → 412), and over MQTT (messages queued while the device was offline
 * arrive once it connects and subscribes; the PUBACK completes them). Routing: the HTTPS endpoint
 * answers SNI myhub.azure-devices.net, the MQTT endpoint SNI localhost; both share the registry.
 */
import t from 'tap';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';
import azureDevice from 'azure-iot-device';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, type DeviceClient, inbox } from '../helpers/azure-sdk.js';
import type { TestHub } from '../helpers/hub.js';
import type { Trust } from '../helpers/devices.js';

const HUB = 'myhub.azure-devices.net';

function portAgent(port: number): https.Agent {
  const agent = new https.Agent({ keepAlive: false });
  (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => Duplex }).createConnection = (o) =>
    tls.connect({ ...o, host: '127.0.0.1', port });
  return agent;
}

interface SdkMessage {
  data: Buffer;
  messageId: string;
  lockToken: string;
  properties: { getValue(k: string): string | undefined };
}

/**
 * A bare MQTT device on mqtt-packet that never sends PUBACK: connects, subscribes to its devicebound
 * topic, resolves with the first PUBLISH it gets, and then drops the connection.
 */
function firstPublishThenDrop(th: TestHub, trust: Trust, id: string, key: string): Promise<IPublishPacket> {
  const sas = azureDevice.SharedAccessSignature.create(
    HUB,
    id,
    key,
    String(Math.floor(Date.now() / 1000) + 3600),
  ).toString();
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: 'localhost', ca: trust.g2 });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (p: Packet) => s.write(mqttPacket.generate(p));
    s.on('error', reject);
    s.on('secureConnect', () =>
      send({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: id,
        clean: true,
        keepalive: 0,
        username: `${HUB}/${id}/?api-version=2021-04-12`,
        password: Buffer.from(sas),
      }),
    );
    s.on('data', (b: Buffer) => parser.parse(b));
    parser.on('packet', (p: Packet) => {
      if (p.cmd === 'connack')
        send({
          cmd: 'subscribe',
          messageId: 1,
          subscriptions: [{ topic: `devices/${id}/messages/devicebound/#`, qos: 1 }],
        });
      if (p.cmd === 'publish') {
        s.destroy();
        resolve(p);
      }
    });
  });
}

const inboxOf = (client: DeviceClient) => inbox<SdkMessage>(client);

t.test('cloud-to-device from one queue per device, with the Azure device SDK', async (t) => {
  const httpKey = randomKey();
  const mqttKey = randomKey();
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, {
      name: 'c2d',
      endpoints: [
        {
          name: 'hub-https',
          kind: 'iothub',
          hostnames: [HUB],
          profile: 'iothub-2025',
          chain: 'g2',
          after: 'https',
        },
        {
          name: 'hub-mqtt',
          kind: 'iothub',
          hostnames: ['localhost'],
          profile: 'iothub-2025',
          chain: 'g2',
          after: 'mqtt',
        },
      ],
      devices: [
        { id: 'poller', auth: 'sas', primaryKey: httpKey },
        { id: 'sleeper', auth: 'sas', primaryKey: mqttKey },
      ],
    }),
  ]);
  const devices = th.hub.runtime.devices;

  await t.test('HTTPS: poll, complete, abandon (redelivered, deliveryCount 1), reject, stale lock → 412', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=poller;SharedAccessKey=${httpKey}`,
      ca: trust.g2,
      transport: 'https',
      agent: portAgent(th.port),
    });
    t.teardown(() => client.close());
    const next = inboxOf(client);
    const mark = th.events.length;
    await nextSession(th, (e) => e.deviceId === 'poller' && e.status === 204, mark);
    t.pass('the SDK polls and gets 204 while the queue is empty');

    const sent = devices.sendC2D('poller', 'first', { colour: 'red', '$.cid': 'corr-1' });
    t.same(sent.queued, 1);
    const first = await next();
    t.same(
      [first.data.toString(), first.messageId, first.properties.getValue('iothub-app-colour')],
      ['first', sent.messageId, 'red'],
    );
    t.equal((first as unknown as { correlationId: string }).correlationId, 'corr-1');
    t.ok(first.lockToken, 'lock token taken from the ETag');
    await client.complete(first as never);
    t.equal(devices.c2d.depth('poller'), 0, 'completed: gone from the queue');
    const stale = await client.complete(first as never).then(
      () => undefined,
      (e: Error & { response?: { statusCode?: number; headers: Record<string, string> } }) => e.response,
    );
    t.equal(stale?.statusCode, 412, 'settling twice: 412');
    t.equal(stale?.headers['iothub-errorcode'], 'DeviceMessageLockLost');

    const second = devices.sendC2D('poller', 'second', { 'iothub-ack': 'full' });
    const m1 = await next();
    t.equal(m1.messageId, second.messageId);
    await client.abandon(m1 as never);
    const m2 = await next();
    t.same([m2.messageId, m2.data.toString()], [second.messageId, 'second'], 'abandoned: delivered again');
    t.not(m2.lockToken, m1.lockToken, 'with a new lock token');
    const redelivery = await nextSession(th, (e) => e.action === 'c2d' && e.detail?.lockToken === m2.lockToken, mark);
    t.equal(redelivery.detail?.deliveryCount, 1);
    await client.reject(m2 as never);
    t.equal(devices.c2d.depth('poller'), 0, 'rejected: gone');
    t.same(
      devices.c2d.feedback.drain().map((f) => [f.originalMessageId, f.statusCode]),
      [[second.messageId, 'Rejected']],
      'ack full: a Rejected feedback record for the service side',
    );
    for (const action of ['c2d-complete', 'c2d-abandon', 'c2d-reject'] as const)
      t.ok(
        await nextSession(th, (e) => e.action === action && e.ok && e.deviceId === 'poller', mark),
        `${action} event`,
      );
  });

  await t.test('MQTT: messages queued while the device was offline arrive once it connects', async (t) => {
    const a = devices.sendC2D('sleeper', 'while you were out', { '$.mid': 'offline-1', kind: 'note' });
    const b = devices.sendC2D('sleeper', 'and another');
    t.equal(b.queued, 2);
    const mark = th.events.length;
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=sleeper;SharedAccessKey=${mqttKey};GatewayHostName=localhost:${th.port}`,
      ca: trust.g2,
    });
    t.teardown(() => client.close());
    const next = inboxOf(client);
    await client.open();
    const [m1, m2] = [await next(), await next()];
    t.same(
      [m1.messageId, m1.data.toString(), m1.properties.getValue('kind')],
      [a.messageId, 'while you were out', 'note'],
    );
    t.same([m2.messageId, m2.data.toString()], [b.messageId, 'and another']);
    for (const id of [a.messageId, b.messageId])
      await nextSession(th, (e) => e.action === 'c2d-complete' && e.detail?.messageId === id, mark);
    t.equal(devices.c2d.depth('sleeper'), 0, 'the PUBACKs completed both');

    const live = devices.sendC2D('sleeper', 'now online');
    const m3 = await next();
    t.same([m3.messageId, m3.data.toString()], [live.messageId, 'now online'], 'a message sent while connected');
  });

  await t.test(
    'MQTT: a connection that ends before the PUBACK gives the message back; the next one gets it',
    async (t) => {
      const mark = th.events.length;
      const sent = devices.sendC2D('sleeper', 'ack me', { '$.mid': 'no-ack-1' });
      const unacked = await firstPublishThenDrop(th, trust, 'sleeper', mqttKey);
      t.match(unacked.topic, /^devices\/sleeper\/messages\/devicebound\/.*\$\.mid=no-ack-1/);
      t.equal(unacked.qos, 1);
      await nextSession(th, (e) => e.action === 'c2d-abandon' && e.detail?.messageId === sent.messageId, mark);
      t.equal(devices.c2d.list('sleeper')[0]?.deliveryCount, 1, 'back in the queue, deliveryCount 1');
      const client = await hubClient({
        connectionString: `HostName=${HUB};DeviceId=sleeper;SharedAccessKey=${mqttKey};GatewayHostName=localhost:${th.port}`,
        ca: trust.g2,
      });
      t.teardown(() => client.close());
      const next = inboxOf(client);
      await client.open();
      const m = await next();
      t.same([m.messageId, m.data.toString()], [sent.messageId, 'ack me'], 'redelivered on the next subscription');
      const again = await nextSession(
        th,
        (e) => e.action === 'c2d' && e.detail?.messageId === sent.messageId && e.detail?.deliveryCount === 1,
        mark,
      );
      t.ok(again.ok);
    },
  );

  await t.test('sendC2D: unknown device and a full queue are HubtlsErrors with their codes', async (t) => {
    t.throws(() => devices.sendC2D('ghost', 'x'), { code: 'HUBTLS_DEVICE_NOT_FOUND' });
    for (let i = devices.c2d.depth('poller'); i < 50; i++) devices.sendC2D('poller', `fill ${i}`);
    t.throws(() => devices.sendC2D('poller', 'one too many'), { code: 'HUBTLS_C2D_QUEUE_FULL', message: /403004/ });
  });
});
