/**
 * The root migration end to end with the Azure device SDK: two devices are connected to a hub that
 * serves the Baltimore chain; the hub migrates to DigiCert Global Root G2 and drops connections.
 * The device that trusts only Baltimore fails to reconnect with a certificate error, which hubtls
 * logs as HUBTLS_CLIENT_REJECTED_CHAIN; the device that trusts both roots reconnects and keeps sending.
 */
import t from 'tap';
import common from 'azure-iot-common';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { hubClient, Message } from '../helpers/azure-sdk.js';

t.test('Baltimore → DigiCert G2 migration with connected SDK devices', async (t) => {
  const [keyOld, keyBoth] = [randomKey(), randomKey()];
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, {
      name: 'migration',
      endpoints: [
        {
          name: 'hub',
          kind: 'iothub',
          hostnames: ['*.azure-devices.net', 'localhost'],
          profile: 'iothub-2025',
          chain: 'baltimore',
          after: 'mqtt',
        },
      ],
      devices: [
        { id: 'legacy-meter', auth: 'sas', primaryKey: keyOld },
        { id: 'updated-meter', auth: 'sas', primaryKey: keyBoth },
      ],
    }),
  ]);
  const device = async (id: string, key: string, ca: string) => {
    const c = await hubClient({
      connectionString: `HostName=myhub.azure-devices.net;DeviceId=${id};SharedAccessKey=${key};GatewayHostName=localhost:${th.port}`,
      ca,
    });
    c.setRetryPolicy(new common.NoRetry());
    t.teardown(() => c.close());
    await c.open();
    await c.sendEvent(new Message(`${id} before`));
    return c;
  };
  const legacy = await device('legacy-meter', keyOld, trust.baltimore);
  const updated = await device('updated-meter', keyBoth, trust.both);
  const devices = th.hub.runtime.devices;
  t.same(
    devices.list().map((d) => [d.id, d.connected, d.telemetryCount]),
    [
      ['legacy-meter', true, 1],
      ['updated-meter', true, 1],
    ],
  );

  // As the SDK samples do: on 'disconnect', open again.
  const disconnected = [legacy, updated].map((c) => new Promise((resolve) => c.once('disconnect', resolve)));
  const mark = th.events.length;
  await th.hub.runtime.endpoints.setChain('hub', { catalog: 'g2' });
  t.equal(th.hub.runtime.connections.drop('hub'), 2, 'both connections dropped');
  await Promise.all(disconnected);

  const failure = await legacy.open().then(
    () => undefined,
    (e: Error) => e,
  );
  t.match(failure?.message ?? '', /certificate|issuer/i, `the SDK reports a certificate error: ${failure?.message}`);
  // Node verifies the chain after the handshake and closes without an alert: hubtls infers the rejection.
  const rejected = await nextSession(th, (e) => e.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN', mark);
  t.match(rejected.reason, /dropped the connection \d+ ms after the handshake without sending a byte/);
  t.equal(rejected.detail?.inferred, true);
  const handshake = await th.nextHandshake((h) => h.conn === rejected.conn);
  t.match(handshake.chain?.root, /DigiCert Global Root G2/, 'the chain it refused is the G2 chain');

  await updated.open();
  await updated.sendEvent(new Message('updated-meter after'));
  t.same(
    devices.telemetry('updated-meter').map((m) => m.body),
    ['updated-meter before', 'updated-meter after'],
    'the device trusting both roots keeps sending',
  );
  t.same(
    devices.telemetry('legacy-meter').map((m) => m.body),
    ['legacy-meter before'],
  );
  const reconnect = await nextSession(
    th,
    (e) => e.action === 'connect' && e.ok && e.deviceId === 'updated-meter',
    mark,
  );
  const served = await th.nextHandshake((h) => h.conn === reconnect.conn);
  t.match(served.chain?.root, /DigiCert Global Root G2/);
});
