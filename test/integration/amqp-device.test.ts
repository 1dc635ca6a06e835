/**
 * Issue 15, AMQP device side: the Azure device SDK's own AMQP transport (`azure-iot-device-amqp`
 * `Amqp`), unmodified, with a SAS key (CBS put-token on $cbs) and with an X.509 certificate (no CBS:
 * the TLS client certificate), sends telemetry, gets its twin and a desired push, answers a direct
 * method the service SDK (`azure-iothub` Client) invokes, and receives cloud-to-device messages the
 * service SDK sends over AMQP: complete, abandon (redelivered, delivery count + 1), reject (feedback
 * `Rejected`, read by the SDK's feedback receiver). Modules connect likewise.
 * Routing: one listener; SNI localhost reaches the `after: amqp` endpoint (devices dial
 * GatewayHostName=localhost:PORT, the service client's AMQP transport localhost:PORT), SNI
 * myhub.azure-devices.net the `after: https` endpoint (the service REST API the SDK invokes methods on).
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, Message, moduleClient, serviceSdk, type DeviceClient, inbox } from '../helpers/azure-sdk.js';
import { sharedStore } from '../helpers/pki.js';

const HUB = 'myhub.azure-devices.net';
const OWNER_KEY = randomKey();
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;
const KEY = randomKey();
const MOD_KEY = randomKey();

interface SdkMessage {
  data: Buffer;
  messageId: string;
  transportObj: { delivery_count?: number; application_properties?: Record<string, unknown> };
}

function scenario() {
  return {
    name: 'amqp-device',
    policies: [
      {
        name: 'iothubowner',
        primaryKey: OWNER_KEY,
        secondaryKey: randomKey(),
        rights: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
      },
    ],
    endpoints: [
      {
        name: 'service',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        after: 'https',
      },
      { name: 'amqp', kind: 'iothub', hostnames: ['localhost'], profile: 'iothub-2025', chain: 'g2', after: 'amqp' },
    ],
    devices: [
      { id: 'amqp-sas', auth: 'sas', primaryKey: KEY },
      { id: 'amqp-x509', auth: 'x509-thumbprint' },
      { id: 'amqp-gw', auth: 'sas', primaryKey: randomKey(), modules: [{ id: 'filter', primaryKey: MOD_KEY }] },
    ],
  };
}

const inboxOf = (client: DeviceClient) => inbox<SdkMessage>(client);

t.test('the Azure device SDK over AMQP', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, scenario())]);
  const devices = th.hub.runtime.devices;
  const { client: service } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
  t.teardown(() => service.close());

  await t.test('SAS: CBS, telemetry, twin, desired push, a method the service SDK invokes', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=amqp-sas;SharedAccessKey=${KEY};GatewayHostName=localhost:${th.port}`,
      ca: trust.g2,
      transport: 'amqp',
    });
    t.teardown(() => client.close());
    await client.open();
    const token = await nextSession(th, (e) => e.action === 'put-token' && e.deviceId === 'amqp-sas');
    t.equal(token.status, 200, token.reason);
    t.equal(token.protocol, 'amqp');
    t.equal(devices.links.get('amqp-sas')?.transport, 'amqp', 'the device link says AMQP (admin API, dashboard)');

    const msg = new Message(JSON.stringify({ temperature: 21.5 }));
    msg.properties.add('alert', 'no');
    msg.messageId = 'd2c-1';
    await client.sendEvent(msg);
    const tele = await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'amqp-sas');
    t.match(tele.detail?.properties, { alert: 'no', '$.mid': 'd2c-1' });
    t.same(
      devices.telemetry('amqp-sas').map((m) => [m.body, m.protocol]),
      [['{"temperature":21.5}', 'amqp']],
    );

    const twin = await client.getTwin();
    t.equal((twin.properties.desired as { $version: number }).$version, 1);
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ firmware: '2.0' }, (e?: Error) => (e ? reject(e) : resolve())),
    );
    t.equal(devices.get('amqp-sas')?.twin.reported.firmware, '2.0', 'reported patch stored');
    const desired = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.interval && resolve(d)),
    );
    await nextSession(th, (e) => e.action === 'subscribe' && e.deviceId === 'amqp-sas');
    t.equal(devices.patchDesired('amqp-sas', { interval: 30 }).delivered, true);
    t.equal((await desired).interval, 30, 'desired patch reached the device over AMQP');

    client.onDeviceMethod(
      'reboot',
      (req: { payload: unknown }, res: { send: (s: number, p: unknown, cb: () => void) => void }) =>
        res.send(201, { rebooting: req.payload }, () => {}),
    );
    const answer = await service.invokeDeviceMethod('amqp-sas', {
      methodName: 'reboot',
      payload: { delay: 5 },
      responseTimeoutInSeconds: 10,
      connectTimeoutInSeconds: 10,
    });
    t.same(answer.result, { status: 201, payload: { rebooting: { delay: 5 } } }, 'method answered over AMQP');
  });

  await t.test('C2D from the service SDK over AMQP: complete, abandon → redelivered, reject → feedback', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=amqp-sas;SharedAccessKey=${KEY};GatewayHostName=localhost:${th.port}`,
      ca: trust.g2,
      transport: 'amqp',
    });
    t.teardown(() => client.close());
    await client.open();
    const next = inboxOf(client);
    const send = (body: string, id: string, ack?: string) => {
      const m = new Message(body);
      m.messageId = id;
      if (ack) m.ack = ack;
      m.properties.add('kind', 'test');
      return service.send('amqp-sas', m as never);
    };

    await send('first', 'c2d-1');
    const first = await next();
    t.equal(first.data.toString(), 'first');
    t.equal(first.messageId, 'c2d-1');
    t.equal(first.transportObj.application_properties?.kind, 'test');
    await client.complete(first as never);
    await nextSession(th, (e) => e.action === 'c2d-complete' && e.ok);
    t.equal(devices.c2d.depth('amqp-sas'), 0, 'completed: gone from the queue');

    await send('again', 'c2d-2');
    const once = await next();
    t.equal(once.transportObj.delivery_count, 0);
    await client.abandon(once as never);
    const twice = await next();
    t.equal(twice.messageId, 'c2d-2', 'abandoned: delivered again');
    t.equal(twice.transportObj.delivery_count, 1, 'with its delivery count up by one');
    await client.complete(twice as never);

    const feedback = (await service.getFeedbackReceiver()).result;
    const batch = new Promise<Array<{ originalMessageId: string; statusCode: string; deviceId: string }>>((resolve) =>
      feedback.on('message', (m: { data: Buffer }) => {
        resolve(JSON.parse(m.data.toString()));
        feedback.complete(m as never, () => {});
      }),
    );
    await send('unwanted', 'c2d-3', 'full');
    const unwanted = await next();
    t.equal(unwanted.transportObj.application_properties?.['iothub-ack'], 'full');
    await client.reject(unwanted as never);
    const records = await batch;
    t.match(records, [{ originalMessageId: 'c2d-3', statusCode: 'Rejected', deviceId: 'amqp-sas' }]);
    await nextSession(th, (e) => e.action === 'c2d-feedback' && /accepted/.test(e.reason));
    t.equal(devices.c2d.feedback.peek().length, 0, 'the accepted batch is taken from the feedback queue');
  });

  await t.test('X.509: no CBS, the TLS client certificate; telemetry and twin', async (t) => {
    const cert = await (await sharedStore()).deviceCert('amqp-x509', { signer: 'self' });
    const client = await hubClient({
      connectionString: `HostName=localhost:${th.port};DeviceId=amqp-x509;x509=true`,
      ca: trust.g2,
      x509: { cert: cert.chainPem, key: cert.keyPem },
      transport: 'amqp',
    });
    t.teardown(() => client.close());
    await client.open();
    await client.sendEvent(new Message('frame 1'));
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === 'amqp-x509');
    t.equal(connect.detail?.auth, 'x509');
    await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'amqp-x509');
    t.same(
      devices.telemetry('amqp-x509').map((m) => m.body),
      ['frame 1'],
    );
    const twin = await client.getTwin();
    t.equal((twin.properties.reported as { $version: number }).$version, 1);
  });

  await t.test('a module over AMQP: telemetry, module twin', async (t) => {
    const client = await moduleClient(
      `HostName=${HUB};DeviceId=amqp-gw;ModuleId=filter;SharedAccessKey=${MOD_KEY};GatewayHostName=localhost:${th.port}`,
      trust.g2,
      true,
    );
    t.teardown(() => client.close());
    await client.open();
    const token = await nextSession(th, (e) => e.action === 'put-token' && e.deviceId === 'amqp-gw');
    t.equal(token.status, 200, token.reason);
    await client.sendEvent(new Message('from the module'));
    await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'amqp-gw');
    const twin = await client.getTwin();
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ stage: 'filtering' }, (e?: Error) => (e ? reject(e) : resolve())),
    );
    t.equal(devices.get('amqp-gw')?.modules.get('filter')?.twin.reported.stage, 'filtering', 'module twin patched');
    t.equal(devices.get('amqp-gw')?.twin.reported.stage, undefined, 'not the device twin');
  });
});
