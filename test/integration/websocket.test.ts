/**
 * WebSockets on the HTTPS port (issue 15): one `after: https` listener serves IoT Hub (SNI
 * *.azure-devices.net) and DPS (SNI *.azure-devices-provisioning.net). Clients nobody on the project
 * wrote: the Azure device SDK's `MqttWs` (SAS and X.509) does its whole job through
 * `/$iothub/websocket` (telemetry, twin, a desired push and a direct method from the service SDK, a
 * C2D message queued through the admin API); MQTT.js over `wss://`; the provisioning SDK's `MqttWs`
 * registers on DPS; `ws` itself checks refusals (path, subprotocol) and the close codes for an
 * oversized and a malformed frame. The SDKs always dial port 443: their proxy option (an agent,
 * `mqtt.webSocketAgent`) takes them to the test port, as a port mapping would.
 */
import t from 'tap';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import mqtt from 'mqtt';
import azureDevice from 'azure-iot-device';
import { startAdminUnderTest } from '../helpers/admin.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, Message, provision, serviceSdk } from '../helpers/azure-sdk.js';
import { sharedStore } from '../helpers/pki.js';
import { portAgent } from '../helpers/port-agent.js';
import { mark } from '../helpers/events.js';
import type { TestHub } from '../helpers/hub.js';
import { WS_MAX_PAYLOAD } from '../../src/after/websocket/upgrade.js';
import { speaks, WS_SUBPROTOCOLS, type WsSubprotocol } from '../../src/after/websocket/subprotocols.js';

const HUB = 'myhub.azure-devices.net';
const DPS_HOST = 'global.azure-devices-provisioning.net';
const ID_SCOPE = '0ne000E5C01';
const OWNER_KEY = randomKey();
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;

type Answer = { send: (status: number, payload: unknown, cb: () => void) => void };

function scenario(keys: { sas: string; enroll: string }, camThumbprint: string) {
  return {
    name: 'websocket',
    idScope: ID_SCOPE,
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
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        after: 'https',
      },
      {
        name: 'dps',
        kind: 'dps',
        hostnames: ['*.azure-devices-provisioning.net'],
        profile: 'dps',
        chain: 'g2',
        after: { mode: 'https', retryAfterSeconds: 0 },
      },
    ],
    devices: [
      { id: 'ws-meter', auth: 'sas', primaryKey: keys.sas },
      { id: 'ws-cam', auth: 'x509-thumbprint', primaryThumbprint: camThumbprint },
    ],
    enrollments: [
      { registrationId: 'ws-prov', attestation: 'symmetric-key', primaryKey: keys.enroll, iotHubHostName: HUB },
    ],
  };
}

/** A `ws` client on the hub's WebSocket path (or another); resolves when it opened or was refused. */
function dial(
  th: TestHub,
  ca: string,
  o: { path?: string; protocols?: string[] } = {},
): Promise<{ ws: WebSocket; refused?: { status: number; body: string } }> {
  const url = `wss://${HUB}${o.path ?? '/$iothub/websocket'}`;
  const ws = new WebSocket(url, o.protocols ?? ['mqtt'], { ca, agent: portAgent(th.port) });
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve({ ws }));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ ws, refused: { status: res.statusCode ?? 0, body } }));
    });
  });
}

/** An upgrade request written by hand; resolves with everything the hub answered before closing. */
function rawUpgrade(th: TestHub, ca: string, headers: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, ca }, () =>
      s.write(
        ['GET /$iothub/websocket HTTP/1.1', `Host: ${HUB}`, 'Connection: Upgrade', ...headers, '', ''].join('\r\n'),
      ),
    );
    let text = '';
    s.on('data', (b: Buffer) => (text += b.toString()));
    s.on('end', () => resolve(text));
    s.on('error', reject);
  });
}

const closed = (ws: WebSocket) => new Promise<number>((resolve) => ws.once('close', (code: number) => resolve(code)));

t.test('MQTT over WebSockets on the HTTPS port, for IoT Hub and DPS', async (t) => {
  const keys = { sas: randomKey(), enroll: randomKey() };
  const cam = await (await sharedStore()).deviceCert('ws-cam', { signer: 'self', keyType: 'ec' });
  const [trust, admin] = await Promise.all([
    exportedTrust(),
    startAdminUnderTest(t, scenario(keys, cam.fingerprint256)),
  ]);
  const { th } = admin;
  const devices = th.hub.runtime.devices;
  const agent = portAgent(th.port);

  await t.test('Azure SDK MqttWs with SAS: telemetry, twin, desired push, direct method, C2D', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=ws-meter;SharedAccessKey=${keys.sas}`,
      ca: trust.g2,
      transport: 'mqtt-ws',
      agent,
    });
    t.teardown(() => client.close());
    await client.open();
    const upgrade = await nextSession(th, (e) => e.action === 'ws-upgrade');
    t.same([upgrade.ok, upgrade.status, upgrade.protocol, upgrade.detail?.subprotocol], [true, 101, 'mqtt-ws', 'mqtt']);
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === 'ws-meter');
    t.same([connect.ok, connect.protocol], [true, 'mqtt-ws'], connect.reason);
    t.equal(devices.links.get('ws-meter')?.transport, 'mqtt-ws', 'the device link says MQTT over WebSockets');

    await client.sendEvent(new Message('over a websocket'));
    const tele = await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'ws-meter');
    t.equal(tele.protocol, 'mqtt-ws');
    t.same(
      devices.telemetry('ws-meter').map((m) => [m.body, m.protocol]),
      [['over a websocket', 'mqtt-ws']],
      'the registry records which transport carried it',
    );

    const { registry, client: service } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
    const twin = await client.getTwin();
    const pushed = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.interval === 15 && resolve(d)),
    );
    await nextSession(
      th,
      (e) => e.action === 'subscribe' && e.detail?.filter === '$iothub/twin/PATCH/properties/desired/#',
    );
    await registry.updateTwin('ws-meter', { properties: { desired: { interval: 15 } } }, '*');
    t.equal((await pushed).interval, 15, 'a desired patch from the service REST API reached the device');

    client.onDeviceMethod('ping', (req: { payload: unknown }, res: Answer) =>
      res.send(200, { pong: req.payload }, () => {}),
    );
    await nextSession(th, (e) => e.action === 'subscribe' && e.detail?.filter === '$iothub/methods/POST/#');
    const r = (await service.invokeDeviceMethod('ws-meter', { methodName: 'ping', payload: 7 })).result;
    t.same(r, { status: 200, payload: { pong: 7 } }, 'method invoked over REST, answered over MQTT-in-WebSocket');

    const c2d = new Promise<string>((resolve) =>
      client.on('message', (m: { data: Buffer }) => resolve(m.data.toString())),
    );
    await nextSession(th, (e) => e.action === 'subscribe' && /devicebound/.test(String(e.detail?.filter)));
    const queued = await admin.call('POST', '/devices/ws-meter/c2d', { body: 'hello over ws' });
    t.equal(queued.statusCode, 200, queued.body);
    t.equal(await c2d, 'hello over ws', 'C2D queued through the admin API arrived');
  });

  await t.test('Azure SDK MqttWs with an X.509 device certificate', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=ws-cam;x509=true`,
      ca: trust.g2,
      transport: 'mqtt-ws',
      agent,
      x509: { cert: cam.certPem, key: cam.keyPem },
    });
    t.teardown(() => client.close());
    await client.open();
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === 'ws-cam');
    t.same([connect.ok, connect.protocol], [true, 'mqtt-ws'], connect.reason);
    t.match(connect.reason, /thumbprint/i);
    await client.sendEvent(new Message('frame over ws'));
    await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === 'ws-cam');
    t.same(
      devices.telemetry('ws-cam').map((m) => m.body),
      ['frame over ws'],
    );
  });

  /** MQTT.js over wss://, dialling the test port itself; SNI and the certificate check use the hub's name. */
  const mqttJs = (deviceId: string) =>
    mqtt.connectAsync(`wss://127.0.0.1:${th.port}/$iothub/websocket`, {
      protocol: 'wss',
      clientId: deviceId,
      username: `${HUB}/${deviceId}/?api-version=2021-04-12`,
      password: azureDevice.SharedAccessSignature.create(
        HUB,
        deviceId,
        keys.sas,
        String(Math.floor(Date.now() / 1000) + 3600),
      ).toString(),
      protocolVersion: 4,
      reconnectPeriod: 0,
      wsOptions: { ca: trust.g2, servername: HUB } as WebSocket.ClientOptions,
    });

  await t.test('MQTT.js over wss:// publishes telemetry', async (t) => {
    const client = await mqttJs('ws-meter');
    t.teardown(() => client.endAsync());
    await client.publishAsync('devices/ws-meter/messages/events/kind=mqttjs', 'from MQTT.js', { qos: 1 });
    const tele = await nextSession(th, (e) => e.action === 'telemetry' && e.detail?.body === 'from MQTT.js');
    t.same([tele.protocol, tele.detail?.properties], ['mqtt-ws', { kind: 'mqttjs' }]);
  });

  await t.test('provisioning SDK MqttWs registers on the DPS endpoint', async (t) => {
    const result = await provision({
      host: DPS_HOST,
      idScope: ID_SCOPE,
      registrationId: 'ws-prov',
      symmetricKey: keys.enroll,
      ca: trust.g2,
      transport: 'mqtt-ws',
      agent,
    });
    t.same([result.assignedHub, result.deviceId], [HUB, 'ws-prov']);
    const reg = await nextSession(th, (e) => e.action === 'dps-register' && e.registrationId === 'ws-prov');
    t.same([reg.protocol, reg.endpoint], ['mqtt-ws', 'dps']);
  });

  await t.test('a wrong subprotocol or path is refused with an HTTP error naming what was expected', async (t) => {
    const from = mark(th);
    const bad = await dial(th, trust.g2, { protocols: ['stomp'] });
    t.equal(bad.refused?.status, 400);
    t.match(bad.refused?.body, /subprotocol stomp; expected Sec-WebSocket-Protocol mqtt/);
    const ev = await nextSession(th, (e) => e.action === 'ws-upgrade' && !e.ok, from);
    t.same([ev.status, ev.protocol, ev.detail?.subprotocols], [400, 'https', ['stomp']]);

    const none = await dial(th, trust.g2, { protocols: [] });
    t.equal(none.refused?.status, 400);
    t.match(none.refused?.body, /no subprotocol/);

    const path = await dial(th, trust.g2, { path: '/mqtt' });
    t.equal(path.refused?.status, 404);
    t.match(path.refused?.body, /IoT Hub and DPS accept WebSockets on \/\$iothub\/websocket/);
    const ev404 = await nextSession(th, (e) => e.action === 'ws-upgrade' && e.status === 404, from);
    t.match(ev404.reason, /no WebSocket endpoint at \/mqtt/);

    const query = await dial(th, trust.g2, { path: '/$iothub/websocket?iothub-no-client-cert=true' });
    t.notOk(query.refused, 'the SDKs’ query string is accepted');
    query.ws.close();

    // A handshake only ws can judge (no Sec-WebSocket-Key): still an answer and an event.
    const answer = await rawUpgrade(th, trust.g2, [
      'Upgrade: websocket',
      'Sec-WebSocket-Version: 13',
      'Sec-WebSocket-Protocol: mqtt',
    ]);
    t.match(answer, /^HTTP\/1\.1 400 Bad Request[^]*invalid WebSocket handshake: Missing or invalid Sec-WebSocket-Key/);
    t.ok(await nextSession(th, (e) => e.action === 'ws-upgrade' && /Sec-WebSocket-Key/.test(e.reason), from));
  });

  await t.test('an oversized message closes with 1009, a malformed frame with 1002; others carry on', async (t) => {
    const from = mark(th);
    const bystander = await mqttJs('ws-meter');
    t.teardown(() => bystander.endAsync());
    const big = (await dial(th, trust.g2)).ws;
    const bigClosed = closed(big);
    big.send(Buffer.alloc(WS_MAX_PAYLOAD + 1));
    t.equal(await bigClosed, 1009);
    const ev = await nextSession(th, (e) => e.action === 'ws-close' && e.status === 1009, from);
    t.same([ev.ok, ev.protocol], [false, 'mqtt-ws']);

    const bent = (await dial(th, trust.g2)).ws;
    const bentClosed = closed(bent);
    // FIN + RSV2 (no extension defines it) + binary, masked, empty: a frame RFC 6455 says to fail.
    (bent as unknown as { _socket: Duplex })._socket.write(Buffer.from([0xa2, 0x80, 1, 2, 3, 4]));
    t.equal(await bentClosed, 1002);
    t.match((await nextSession(th, (e) => e.action === 'ws-close' && e.status === 1002, from)).reason, /RSV2/);

    // The MQTT-over-WebSocket device beside them still gets through, and the port still serves REST.
    await bystander.publishAsync('devices/ws-meter/messages/events/', 'still here', { qos: 1 });
    t.equal(devices.telemetry('ws-meter').at(-1)?.body, 'still here', 'a WebSocket beside them carries on');
    const { registry } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
    const dev = (await registry.get('ws-meter')).responseBody as unknown as { deviceId: string };
    t.equal(dev.deviceId, 'ws-meter', 'service REST API on the same port');
  });

  await t.test('a responder that throws at start closes its WebSocket with 1011, not the process', async (t) => {
    // A subprotocol registered by the test, as a registry line would register it.
    const registry = WS_SUBPROTOCOLS as Record<string, WsSubprotocol>;
    registry['boom.test'] = speaks('mqtt-ws', () => {
      throw new Error('responder bug');
    });
    t.teardown(() => delete registry['boom.test']);
    const from = mark(th);
    const { ws } = await dial(th, trust.g2, { protocols: ['boom.test'] });
    t.equal(await closed(ws), 1011);
    t.match((await nextSession(th, (e) => e.action === 'ws-close' && e.status === 1011, from)).reason, /responder bug/);
  });

  await t.test('plain HTTPS device REST telemetry on the same port', async (t) => {
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=ws-meter;SharedAccessKey=${keys.sas}`,
      ca: trust.g2,
      transport: 'https',
      agent,
    });
    t.teardown(() => client.close());
    await client.sendEvent(new Message('plain https'));
    t.same(
      devices
        .telemetry('ws-meter')
        .map((m) => [m.body, m.protocol])
        .at(-1),
      ['plain https', 'https'],
    );
  });
});
