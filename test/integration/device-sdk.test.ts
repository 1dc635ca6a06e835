/**
 * Issue 6 acceptance: the Azure IoT device SDK for Node, unmodified and configured as a user would,
 * provisions through the emulated DPS (symmetric key and X.509), connects to the assigned hub,
 * sends telemetry hubtls records, and gets its twin; C2D, direct methods and desired-property
 * pushes reach it. Routing: DPS is its listener's default endpoint (the SDK dials 127.0.0.1:PORT,
 * no SNI); the hub answers SNI "localhost" (GatewayHostName=localhost:PORT or HostName=localhost:PORT).
 */
import t from 'tap';
import crypto from 'node:crypto';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, Message, provision } from '../helpers/azure-sdk.js';
import { sharedStore } from '../helpers/pki.js';

const ID_SCOPE = '0ne00000A11';

function scenario(groupKey: string) {
  return {
    name: 'device-sdk',
    idScope: ID_SCOPE,
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net', 'localhost'],
        profile: 'iothub-2025',
        chain: 'g2',
        after: 'mqtt',
      },
      {
        name: 'dps',
        kind: 'dps',
        hostnames: ['*.azure-devices-provisioning.net'],
        default: true,
        profile: 'dps',
        chain: 'g2',
        after: { mode: 'mqtt', retryAfterSeconds: 0 },
      },
    ],
    enrollments: [
      {
        groupId: 'factory',
        attestation: 'symmetric-key',
        primaryKey: groupKey,
        iotHubHostName: 'myhub.azure-devices.net',
      },
      { groupId: 'line-2', attestation: 'x509-ca', ca: 'device-root-ca' },
    ],
  };
}

t.test('Azure IoT device SDK against the emulated DPS and hub', async (t) => {
  const groupKey = randomKey();
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, scenario(groupKey))]);
  const devices = th.hub.runtime.devices;

  await t.test('symmetric key: provision, telemetry, twin, desired push, C2D, direct method', async (t) => {
    const registrationId = 'sensor-7';
    // What the Azure docs tell a user to do for a group enrollment: derive the device key.
    const key = crypto.createHmac('sha256', Buffer.from(groupKey, 'base64')).update(registrationId).digest('base64');
    const result = await provision({
      host: `127.0.0.1:${th.port}`,
      idScope: ID_SCOPE,
      registrationId,
      symmetricKey: key,
      ca: trust.g2,
    });
    t.equal(result.assignedHub, 'myhub.azure-devices.net');
    t.equal(result.deviceId, registrationId);
    t.equal(
      (await nextSession(th, (e) => e.action === 'dps-register')).status,
      202,
      'DPS answered 202 assigning first',
    );
    t.equal(
      (await nextSession(th, (e) => e.action === 'dps-status' && e.ok)).detail?.assignedHub,
      'myhub.azure-devices.net',
    );

    const client = await hubClient({
      connectionString: `HostName=${result.assignedHub};DeviceId=${result.deviceId};SharedAccessKey=${key};GatewayHostName=localhost:${th.port}`,
      ca: trust.g2,
    });
    t.teardown(() => client.close());
    await client.open();
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === registrationId);
    t.ok(connect.ok, connect.reason);
    t.match(connect.reason, /connected to myhub\.azure-devices\.net: SAS token signed with the primary key/);

    const msg = new Message(JSON.stringify({ temperature: 21.5 }));
    msg.properties.add('alert', 'no');
    await client.sendEvent(msg);
    const tele = await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === registrationId);
    t.same(tele.detail?.properties, { alert: 'no' });
    t.same(
      devices.telemetry(registrationId).map((m) => m.body),
      ['{"temperature":21.5}'],
      'the registry recorded the message',
    );

    const twin = await client.getTwin();
    t.equal((twin.properties.desired as { $version: number }).$version, 1);
    await new Promise<void>((resolve, reject) =>
      twin.properties.reported.update({ firmware: '1.2.3' }, (e?: Error) => (e ? reject(e) : resolve())),
    );
    t.equal(devices.get(registrationId)?.twin.reported.firmware, '1.2.3', 'reported patch stored');

    const desired = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.interval && resolve(d)),
    );
    await nextSession(
      th,
      (e) => e.action === 'subscribe' && e.detail?.filter === '$iothub/twin/PATCH/properties/desired/#',
    );
    t.equal(devices.patchDesired(registrationId, { interval: 30 }).delivered, true);
    t.equal((await desired).interval, 30, 'desired patch reached the device');

    const c2d = new Promise<string>((resolve) =>
      client.on('message', (m: { data: Buffer }) => resolve(m.data.toString())),
    );
    await nextSession(th, (e) => e.action === 'subscribe' && /devicebound/.test(String(e.detail?.filter)));
    t.ok(devices.sendC2D(registrationId, 'hello device'));
    t.equal(await c2d, 'hello device');

    client.onDeviceMethod(
      'reboot',
      (req: { payload: unknown }, res: { send: (s: number, p: unknown, cb: () => void) => void }) =>
        res.send(200, { rebooting: req.payload }, () => {}),
    );
    await nextSession(th, (e) => e.action === 'subscribe' && e.detail?.filter === '$iothub/methods/POST/#');
    const answer = await devices.links.invoke(registrationId, 'reboot', { delay: 5 });
    t.same(answer, { status: 200, payload: { rebooting: { delay: 5 } } });
  });

  await t.test('X.509 CA-signed: provision through a CA group, connect with the certificate', async (t) => {
    const registrationId = 'camera-3';
    const cert = await (await sharedStore()).deviceCert(registrationId, { signer: 'ca' });
    const x509 = { cert: cert.chainPem, key: cert.keyPem };
    const result = await provision({
      host: `127.0.0.1:${th.port}`,
      idScope: ID_SCOPE,
      registrationId,
      x509,
      ca: trust.g2,
    });
    t.equal(result.deviceId, registrationId);
    t.equal(result.assignedHub, 'hubtls.azure-devices.net', 'no iotHubHostName: derived from the hub endpoint');
    t.equal(devices.get(registrationId)?.spec.auth.type, 'x509-ca');

    // X.509 clients ignore GatewayHostName: HostName is where they dial.
    const client = await hubClient({
      connectionString: `HostName=localhost:${th.port};DeviceId=${registrationId};x509=true`,
      ca: trust.g2,
      x509,
    });
    t.teardown(() => client.close());
    await client.open();
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === registrationId);
    t.match(connect.reason, /chains to registered CA .*hubtls Test Device Root CA/);
    await client.sendEvent(new Message('frame 1'));
    await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === registrationId);
    t.same(
      devices.telemetry(registrationId).map((m) => m.body),
      ['frame 1'],
    );
    const twin = await client.getTwin();
    t.equal((twin.properties.reported as { $version: number }).$version, 1);
  });
});
