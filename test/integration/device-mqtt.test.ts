/**
 * IoT Hub's MQTT CONNECT judgement with the `mqtt` package (and mosquitto_pub) as the device:
 * SAS and X.509 devices are accepted; wrong CN, unknown thumbprint, expired certificate, missing
 * certificate and bad / expired SAS tokens get CONNACK 5, logged with the outcome code.
 */
import t, { type Test } from 'tap';
import { spawn } from 'node:child_process';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import mqtt from 'mqtt';
import mqttPacket from 'mqtt-packet';
import azureDevice from 'azure-iot-device';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey, sessions, type Trust } from '../helpers/devices.js';
import { sClient } from '../helpers/openssl.js';
import { sharedStore } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';
import type { DeviceIssued } from '../../src/pki/store.js';

const HUB = 'myhub.azure-devices.net';
const sasFor = (id: string, key: string, expiry = Math.floor(Date.now() / 1000) + 3600) =>
  azureDevice.SharedAccessSignature.create(HUB, id, key, String(expiry)).toString();

interface Device {
  id: string;
  sas?: string;
  cert?: DeviceIssued;
}

function connect(th: TestHub, trust: Trust, d: Device): Promise<mqtt.MqttClient> {
  return mqtt.connectAsync({
    protocol: 'mqtts',
    host: '127.0.0.1',
    port: th.port,
    servername: HUB,
    ca: trust.g2,
    protocolVersion: 4,
    reconnectPeriod: 0,
    connectTimeout: 10_000,
    clientId: d.id,
    username: `${HUB}/${d.id}/?api-version=2021-04-12`,
    ...(d.sas ? { password: d.sas } : {}),
    ...(d.cert ? { cert: d.cert.chainPem, key: d.cert.keyPem } : {}),
  });
}

async function refused(t: Test, th: TestHub, trust: Trust, d: Device) {
  const mark = th.events.length;
  const err = await connect(th, trust, d).then(
    (c) => (c.end(true), undefined),
    (e: Error & { code?: number }) => e,
  );
  t.equal(err?.code, 5, `${d.id}: CONNACK 5 (${err?.message})`);
  return nextSession(th, (e) => e.action === 'connect' && e.deviceId === d.id, mark);
}

t.test('MQTT CONNECT as IoT Hub judges it', async (t) => {
  const store = await sharedStore();
  const [self, stranger, caSigned, otherCn, expired, trust] = await Promise.all([
    store.deviceCert('thermo-self', { signer: 'self', keyType: 'ec' }),
    store.deviceCert('stranger', { signer: 'self', keyType: 'ec' }),
    store.deviceCert('gate-ca', { signer: 'ca', keyType: 'ec' }),
    store.deviceCert('not-the-gate', { signer: 'ca', keyType: 'ec' }),
    store.deviceCert('old-gate', { signer: 'ca', keyType: 'ec', validity: 'expired' }),
    exportedTrust(),
  ]);
  const primary = randomKey();
  const secondary = randomKey();
  const th = await startTestHub(t, {
    name: 'device-mqtt',
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        profile: 'iothub-2025',
        chain: 'g2',
        after: 'mqtt',
      },
    ],
    devices: [
      { id: 'meter-1', auth: 'sas', primaryKey: primary, secondaryKey: secondary },
      {
        id: 'thermo-self',
        auth: 'x509-thumbprint',
        primaryThumbprint: '00'.repeat(20),
        secondaryThumbprint: self.fingerprint256,
      },
      {
        id: 'thermo-sha1',
        auth: 'x509-thumbprint',
        primaryThumbprint: self.fingerprint1.toUpperCase().match(/../g)!.join(':'),
      },
      { id: 'gate-ca', auth: 'x509-ca' },
      { id: 'old-gate', auth: 'x509-ca' },
      { id: 'auto-self', auth: 'x509-thumbprint' },
    ],
  });
  // No thumbprint in the scenario: hubtls issued a self-signed certificate, the one `certs export` writes.
  const issued = await store.deviceCert('auto-self', { signer: 'self' });

  await t.test(
    'accepted: SAS (secondary key), X.509 thumbprint SHA-256 secondary and SHA-1 primary, CA-signed, hubtls-issued',
    async (t) => {
      for (const d of [
        { id: 'meter-1', sas: sasFor('meter-1', secondary) },
        { id: 'thermo-self', cert: self },
        { id: 'thermo-sha1', cert: self },
        { id: 'gate-ca', cert: caSigned },
        { id: 'auto-self', cert: issued },
      ]) {
        const c = await connect(th, trust, d);
        await c.publishAsync(`devices/${d.id}/messages/events/kind=test`, `from ${d.id}`, { qos: 1 });
        await c.endAsync();
        const e = await nextSession(th, (e) => e.action === 'connect' && e.ok && e.deviceId === d.id);
        t.ok(e.ok, e.reason);
        t.same(
          th.hub.runtime.devices.telemetry(d.id).map((m) => m.body),
          [`from ${d.id}`],
          `${d.id}: telemetry recorded`,
        );
      }
    },
  );

  await t.test('X.509 refusals: CONNACK 5 and HUBTLS_MTLS_UNAUTHORIZED', async (t) => {
    const cases: Array<[Device, RegExp]> = [
      [{ id: 'thermo-self', cert: stranger }, /Thumbprint does not match configuration: Thumbprint: SHA1Hash=/],
      [{ id: 'gate-ca', cert: otherCn }, /CN 'not-the-gate' does not match 'gate-ca'/],
      [{ id: 'old-gate', cert: expired }, /certificate 'old-gate' expired at/],
      [{ id: 'gate-ca' }, /sent no client certificate/],
      [{ id: 'thermo-sha1', sas: sasFor('thermo-sha1', primary) }, /sent no client certificate/],
    ];
    for (const [d, why] of cases) {
      const e = await refused(t, th, trust, d);
      t.equal(e.outcome, 'HUBTLS_MTLS_UNAUTHORIZED');
      t.equal(e.errorCode, 401002);
      t.match(e.reason, why);
    }
  });

  await t.test('SAS and identity refusals: CONNACK 5 and HUBTLS_DEVICE_UNAUTHORIZED', async (t) => {
    const cases: Array<[Device, RegExp]> = [
      [{ id: 'meter-1', sas: sasFor('meter-1', randomKey()) }, /signature does not match the primary or secondary key/],
      [{ id: 'meter-1', sas: sasFor('meter-1', primary, Math.floor(Date.now() / 1000) - 60) }, /SAS token expired at/],
      [
        {
          id: 'meter-1',
          sas: azureDevice.SharedAccessSignature.create(
            HUB,
            'meter-2',
            primary,
            String(Math.floor(Date.now() / 1000) + 60),
          ).toString(),
        },
        /is for resource 'myhub.azure-devices.net\/devices\/meter-2'/,
      ],
      [{ id: 'ghost', sas: sasFor('ghost', primary) }, /does not contain the specified device 'ghost'/],
    ];
    for (const [d, why] of cases) {
      const e = await refused(t, th, trust, d);
      t.equal(e.outcome, 'HUBTLS_DEVICE_UNAUTHORIZED');
      t.match(e.reason, why);
    }
  });

  await t.test('QoS 2 publish: IoT Hub closes the connection', async (t) => {
    const c = await connect(th, trust, { id: 'meter-1', sas: sasFor('meter-1', primary) });
    const closed = new Promise<void>((resolve) => c.once('close', () => resolve()));
    c.publish('devices/meter-1/messages/events/', 'x', { qos: 2 });
    await closed;
    c.end(true);
    t.pass('closed after a QoS 2 PUBLISH');
  });

  await t.test('garbage, a PUBLISH before CONNECT and MQTT 5 close the session, never the process', async (t) => {
    const send = (bytes: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const s = tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, ca: trust.g2 }, () =>
          s.write(bytes),
        );
        const got: Buffer[] = [];
        s.on('data', (b: Buffer) => got.push(b));
        s.on('error', () => {});
        s.on('close', () => resolve(Buffer.concat(got)));
      });
    const mark = th.events.length;
    t.same(await send(Buffer.from([0x10, 0xff, 0xff, 0xff, 0xff, 0x7f])), Buffer.alloc(0), 'malformed length: closed');
    t.same(
      await send(Buffer.from([0x30, 0x05, 0x00, 0x01, 0x61, 0x68, 0x69])),
      Buffer.alloc(0),
      'PUBLISH first: closed',
    );
    const v5 = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 5,
      clientId: 'meter-1',
      clean: true,
      keepalive: 0,
    });
    t.same(
      [...(await send(v5))],
      [0x20, 0x02, 0x00, 0x01],
      'MQTT 5: CONNACK 1 (unacceptable protocol version), then closed',
    );
    for (const why of [
      /malformed MQTT/,
      /first packet was PUBLISH, not CONNECT/,
      /protocol version 5 is not supported/,
    ]) {
      const e = await nextSession(th, (e) => e.action === 'disconnect' && why.test(e.reason), mark);
      t.notOk(e.ok, e.reason);
    }
    await connect(th, trust, { id: 'meter-1', sas: sasFor('meter-1', primary) }).then((c) => c.endAsync());
    t.pass('the hub still serves devices');
  });

  await t.test(
    'a Node client that rejects the chain after the handshake is logged as HUBTLS_CLIENT_REJECTED_CHAIN; a polite probe is not',
    async (t) => {
      const mark = th.events.length;
      await sClient(th.port, ['-servername', HUB]);
      const probe = await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED' && th.events.indexOf(h) >= mark);
      const node = await new Promise<Error>((resolve) =>
        tls.connect({ host: '127.0.0.1', port: th.port, servername: HUB, ca: trust.baltimore }).once('error', resolve),
      );
      t.match(node.message, /unable to get local issuer certificate/);
      const e = await nextSession(th, (e) => e.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN', mark);
      t.not(e.conn, probe.conn, 's_client sent close_notify: not taken for a rejection');
      t.equal(
        sessions(th).filter((x) => x.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN').length,
        1,
        'exactly one inferred rejection in this whole file',
      );
    },
  );

  await t.test('mosquitto_pub as the device (independent MQTT client)', async (t) => {
    if (!needTool(t, 'mosquitto_pub', 'mosquitto-clients')) return;
    const ca = path.join(trust.dir, 'g2-only.pem');
    writeFileSync(ca, trust.g2);
    const args = [
      '-h',
      '127.0.0.1',
      '-p',
      String(th.port),
      '--cafile',
      ca,
      '-V',
      'mqttv311',
      '-q',
      '1',
      '-i',
      'meter-1',
      '-u',
      `${HUB}/meter-1/?api-version=2021-04-12`,
      '-P',
      sasFor('meter-1', primary),
      '-t',
      'devices/meter-1/messages/events/',
      '-m',
      'from mosquitto',
    ];
    const code = await new Promise<number | null>((resolve) =>
      spawn('mosquitto_pub', args, { stdio: 'ignore' }).on('close', resolve),
    );
    t.equal(code, 0, 'mosquitto_pub exited 0');
    t.ok(
      th.hub.runtime.devices.telemetry('meter-1').some((m) => m.body === 'from mosquitto'),
      'telemetry recorded',
    );
  });
});
