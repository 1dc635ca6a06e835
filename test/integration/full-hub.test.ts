/**
 * scenarios/full-hub.yaml: IoT Hub on 8883 (MQTT), 5671 (AMQP) and 443 (HTTPS and WebSockets), here
 * on free ports. One hub core behind every transport: the real `azure-iothub` Client over AMQP
 * inside a WebSocket on the 443 listener sends cloud-to-device messages to a device on the Azure
 * device SDK's `AmqpWs` (same listener) and to an MQTT.js device on the MQTT listener; the device's
 * complete comes back as the service's feedback. The service Client on plain AMQP (5671) reads it.
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession } from '../helpers/devices.js';
import { hubClient, Message, serviceSdk } from '../helpers/azure-sdk.js';
import { HUB_HOST, nextMessage, sasMqttDevice } from '../helpers/mqtt-device.js';
import { portAgent } from '../helpers/port-agent.js';
import { SHARED_DIR } from '../helpers/pki.js';
import { defaultPolicy } from '../../src/core/policy-keys.js';

interface Feedback {
  deviceId: string;
  originalMessageId: string;
  description: string;
}

t.test('scenarios/full-hub.yaml: every transport on its own port, one hub core', async (t) => {
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, 'scenarios/full-hub.yaml', { ephemeral: true }),
  ]);
  const port = { mqtt: th.hub.port('hub'), amqp: th.hub.port('hub-amqp'), web: th.hub.port('hub-443') };
  t.equal(new Set(Object.values(port)).size, 3, 'three listeners');
  t.equal(th.hub.port('dps-amqp'), port.amqp, 'DPS shares the AMQP listener (by SNI)');
  const owner = await defaultPolicy(SHARED_DIR);
  const cs = `HostName=${HUB_HOST};SharedAccessKeyName=${owner.name};SharedAccessKey=${owner.primaryKey}`;
  const overWs = serviceSdk(cs, { ca: trust.g2, port: port.web, websocket: true });
  const overAmqp = serviceSdk(cs, { ca: trust.g2, port: port.web, amqpPort: port.amqp }).client;
  t.teardown(() => Promise.all([overWs.client.close(), overAmqp.close()]));

  const key = (await overWs.registry.get('sensor-sas')).responseBody.authentication!.symmetricKey!.primaryKey!;
  const device = await hubClient({
    connectionString: `HostName=${HUB_HOST};DeviceId=sensor-sas;SharedAccessKey=${key}`,
    ca: trust.g2,
    transport: 'amqp-ws',
    agent: portAgent(port.web),
  });
  t.teardown(() => device.close());
  const received = new Promise<{ messageId: string; data: Buffer }>((resolve) => device.on('message', resolve));
  await device.open();
  const token = await nextSession(th, (e) => e.action === 'put-token' && e.deviceId === 'sensor-sas');
  t.match(token, { protocol: 'amqp-ws', status: 200, endpoint: 'hub-443' }, 'CBS inside the WebSocket');
  await device.sendEvent(new Message('{"t":1}'));
  await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'sensor-sas');
  t.same(
    th.hub.runtime.devices.telemetry('sensor-sas').map((m) => m.protocol),
    ['amqp-ws'],
  );

  await overWs.client.open();
  const c2d = new Message('to the AmqpWs device');
  c2d.messageId = 'full-1';
  c2d.ack = 'full';
  await overWs.client.send('sensor-sas', c2d);
  const got = await received;
  t.equal(got.data.toString(), 'to the AmqpWs device');
  await device.complete(got as never);

  const made = await overWs.registry.create({ deviceId: 'mqtt-1' });
  const mqtt = await sasMqttDevice(
    port.mqtt,
    trust.g2,
    'mqtt-1',
    made.responseBody.authentication!.symmetricKey!.primaryKey!,
  );
  t.teardown(() => mqtt.end(true));
  const toMqtt = nextMessage(mqtt, /^devices\/mqtt-1\/messages\/devicebound\//);
  await overWs.client.send('mqtt-1', new Message('to the MQTT device'));
  t.equal((await toMqtt).body, 'to the MQTT device', 'the same queue feeds MQTT on 8883');

  await overAmqp.open();
  const feedback = (await overAmqp.getFeedbackReceiver()).result;
  const batch = await new Promise<Feedback[]>((resolve) =>
    feedback.on('message', (m: { data: Buffer }) => {
      feedback.complete(m as never, () => {});
      resolve(JSON.parse(m.data.toString()) as Feedback[]);
    }),
  );
  t.match(batch, [{ deviceId: 'sensor-sas', originalMessageId: 'full-1', description: 'Success' }]);
});
