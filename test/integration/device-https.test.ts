/**
 * The HTTPS device API: the Azure device SDK's HTTP transports send telemetry and provision through
 * DPS; a request without the certificate an X.509 device needs gets 401 with error code 401002, a
 * bad SAS 401 with 401003. The SDK's HTTP transports always dial port 443, so the tests hand them
 * an `http.agent` (the SDK's proxy option) that dials the test port instead.
 */
import t from 'tap';
import https from 'node:https';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import azureDevice from 'azure-iot-device';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, Message, provision } from '../helpers/azure-sdk.js';
import { sharedStore } from '../helpers/pki.js';
import { hubRequest, type RestReply } from '../helpers/service-rest.js';

const HUB = 'myhub.azure-devices.net';
const ID_SCOPE = '0ne0000F00D';

/** An agent that connects every request to 127.0.0.1:port, keeping SNI and Host as the SDK set them. */
function portAgent(port: number): https.Agent {
  const agent = new https.Agent({ keepAlive: false });
  (agent as unknown as { createConnection: (o: tls.ConnectionOptions) => Duplex }).createConnection = (o) =>
    tls.connect({ ...o, host: '127.0.0.1', port });
  return agent;
}

function rawPost(
  th: TestHub,
  ca: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<RestReply<{ errorCode?: number; message?: string }>> {
  return hubRequest({ port: th.port, hub: HUB, ca, method: 'POST', path, headers, body: '{"t":1}' });
}

t.test('HTTPS device API', async (t) => {
  const store = await sharedStore();
  const [trust, cert] = await Promise.all([
    exportedTrust(),
    store.deviceCert('kiosk-9', { signer: 'self', keyType: 'ec' }),
  ]);
  const deviceKey = randomKey();
  const enrollKey = randomKey();
  const th = await startTestHub(t, {
    name: 'device-https',
    idScope: ID_SCOPE,
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
      { id: 'meter-http', auth: 'sas', primaryKey: deviceKey },
      { id: 'kiosk-9', auth: 'x509-thumbprint', primaryThumbprint: cert.fingerprint256 },
    ],
    enrollments: [
      { registrationId: 'pump-4', attestation: 'symmetric-key', primaryKey: enrollKey, iotHubHostName: HUB },
      { registrationId: 'kiosk-9', attestation: 'x509', primaryThumbprint: cert.fingerprint1, iotHubHostName: HUB },
    ],
  });
  const agent = portAgent(th.port);
  const devices = th.hub.runtime.devices;

  await t.test('SDK HTTP transport: SAS and X.509 telemetry recorded', async (t) => {
    const sas = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=meter-http;SharedAccessKey=${deviceKey}`,
      ca: trust.g2,
      transport: 'https',
      agent,
    });
    t.teardown(() => sas.close());
    const msg = new Message('over https');
    msg.properties.add('unit', 'kWh');
    await sas.sendEvent(msg);
    t.same(
      devices.telemetry('meter-http').map((m) => [m.body, m.protocol, m.properties.unit]),
      [['over https', 'https', 'kWh']],
    );
    const x509 = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=kiosk-9;x509=true`,
      ca: trust.g2,
      transport: 'https',
      agent,
      x509: { cert: cert.certPem, key: cert.keyPem },
    });
    t.teardown(() => x509.close());
    await x509.sendEvent(new Message('kiosk says hi'));
    t.same(
      devices.telemetry('kiosk-9').map((m) => m.body),
      ['kiosk says hi'],
    );
  });

  await t.test('SDK HTTP provisioning: symmetric key and X.509 individual enrollments', async (t) => {
    const host = 'global.azure-devices-provisioning.net';
    const byKey = await provision({
      host,
      idScope: ID_SCOPE,
      registrationId: 'pump-4',
      symmetricKey: enrollKey,
      ca: trust.g2,
      transport: 'https',
      agent,
    });
    t.same([byKey.assignedHub, byKey.deviceId], [HUB, 'pump-4']);
    const byCert = await provision({
      host,
      idScope: ID_SCOPE,
      registrationId: 'kiosk-9',
      x509: { cert: cert.certPem, key: cert.keyPem },
      ca: trust.g2,
      transport: 'https',
      agent,
    });
    t.same([byCert.assignedHub, byCert.deviceId], [HUB, 'kiosk-9']);
    const reg = await nextSession(th, (e) => e.protocol === 'https' && e.action === 'dps-register');
    t.equal(reg.status, 202);
    t.equal(devices.get('pump-4')?.spec.auth.type, 'sas', 'the provisioned device is in the hub registry');
  });

  await t.test('refusals: 401 with 401002 (X.509 required, no certificate) and 401003 (bad SAS)', async (t) => {
    const noCert = await rawPost(th, trust.g2, '/devices/kiosk-9/messages/events?api-version=2020-09-30');
    t.equal(noCert.status, 401);
    t.equal(noCert.body.errorCode, 401002);
    t.equal(noCert.headers['iothub-errorcode'], 'IotHubUnauthorizedAccess');
    const e = await nextSession(th, (e) => e.status === 401 && e.deviceId === 'kiosk-9');
    t.equal(e.outcome, 'HUBTLS_MTLS_UNAUTHORIZED');
    const sas = azureDevice.SharedAccessSignature.create(
      HUB,
      'meter-http',
      randomKey(),
      String(Math.floor(Date.now() / 1000) + 60),
    ).toString();
    const badSas = await rawPost(th, trust.g2, '/devices/meter-http/messages/events?api-version=2020-09-30', {
      authorization: sas,
    });
    t.same([badSas.status, badSas.body.errorCode], [401, 401003]);
    t.match(badSas.body.message, /signature does not match/);
    t.equal(
      (await nextSession(th, (e) => e.status === 401 && e.deviceId === 'meter-http')).outcome,
      'HUBTLS_DEVICE_UNAUTHORIZED',
    );
  });
});
