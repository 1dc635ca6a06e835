/**
 * The device judgement without sockets: SAS tokens made by the Azure SDK's own signer, X.509
 * certificates from the test PKI, DPS attestation — all judged at the scenario clock's time.
 */
import t from 'tap';
import crypto from 'node:crypto';
import azureDevice from 'azure-iot-device';
import symmetricKey from 'azure-iot-security-symmetric-key';
import { checkSas, deriveDeviceKey, parseSas } from '../../src/core/sas.js';
import { judgeCaSigned, judgeThumbprint } from '../../src/core/x509.js';
import { DeviceRegistry, TELEMETRY_KEPT } from '../../src/core/registry.js';
import { compileDevices } from '../../src/core/compile.js';
import type { PeerCertInfo } from '../../src/tls/engines/types.js';
import type { DeviceIssued } from '../../src/pki/store.js';
import { sharedStore, tempDir } from '../helpers/pki.js';
import { PkiStore } from '../../src/pki/store.js';
import { randomKey } from '../helpers/devices.js';

const DAY = 86_400_000;
const HUB = 'myhub.azure-devices.net';

/** What the TLS engine reports for a client certificate (see engines/openssl.ts). */
function peerOf(d: DeviceIssued): PeerCertInfo {
  const c = new crypto.X509Certificate(d.certPem);
  return {
    subject: c.subject,
    commonName: /CN=([^\n]*)/.exec(c.subject)?.[1],
    issuer: c.issuer,
    sha1: d.fingerprint1,
    sha256: d.fingerprint256,
    notBefore: d.notBefore.toISOString(),
    notAfter: d.notAfter.toISOString(),
    chainDer: [d.der],
  };
}

/** The token the SDK's DPS symmetric-key client sends as its MQTT password. */
async function dpsSas(registrationId: string, key: string, idScope: string): Promise<string> {
  const client = new symmetricKey.SymmetricKeySecurityClient(registrationId, key);
  return String(await (client.createSharedAccessSignature(idScope) as Promise<unknown>));
}

t.test('SAS tokens from the SDK, judged by the scenario clock', async (t) => {
  const key = randomKey();
  const other = randomKey();
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const token = azureDevice.SharedAccessSignature.create(HUB, 'dev-1', other, String(expiry)).toString();
  const want = { resource: `${HUB}/devices/dev-1`, keys: [key, other], now: new Date() };
  t.same(checkSas(token, want), { ok: true, key: 'secondary' });
  t.equal(parseSas(token)?.resource, `${HUB}/devices/dev-1`);
  t.match(checkSas(token, { ...want, keys: [key] }), { ok: false, reason: /signature does not match/ });
  t.match(
    checkSas(token, { ...want, now: new Date(expiry * 1000 + 1000) }),
    { ok: false, reason: /expired at .*scenario time/ },
    'valid in real time, expired at the scenario time',
  );
  const old = azureDevice.SharedAccessSignature.create(
    HUB,
    'dev-1',
    key,
    String(Math.floor(Date.now() / 1000) - 60),
  ).toString();
  t.match(checkSas(old, want), { ok: false, reason: /expired/ });
  t.same(
    checkSas(old, { ...want, now: new Date(Date.now() - DAY) }),
    { ok: true, key: 'primary' },
    'expired in real time, valid at an earlier scenario time',
  );
  t.match(checkSas(token, { ...want, resource: `${HUB}/devices/dev-2` }), { ok: false, reason: /is for resource/ });
  t.match(checkSas('Bearer x', want), { ok: false, reason: /not a SharedAccessSignature/ });
  t.match(checkSas(undefined, want), { ok: false, reason: /no SAS token/ });
});

t.test('DPS group keys: the documented derivation, checked against the SDK security client', async (t) => {
  const group = randomKey();
  const derived = deriveDeviceKey(group, 'sensor-1');
  t.equal(
    derived,
    crypto.createHmac('sha256', Buffer.from(group, 'base64')).update('sensor-1', 'utf8').digest('base64'),
  );
  const sas = await dpsSas('sensor-1', derived, '0ne00000001');
  t.same(checkSas(sas, { resource: '0ne00000001/registrations/sensor-1', keys: [derived], now: new Date() }), {
    ok: true,
    key: 'primary',
  });
});

t.test('X.509 by thumbprint and by CA, validity by the scenario clock', async (t) => {
  const store = await sharedStore();
  const [self, ca, later, deviceRoot, g2] = await Promise.all([
    store.deviceCert('unit-self', { signer: 'self', keyType: 'ec' }),
    store.deviceCert('unit-ca', { signer: 'ca', keyType: 'ec' }),
    store.deviceCert('unit-later', { signer: 'ca', keyType: 'ec', validity: 'not-yet-valid' }),
    store.root('device-root-ca'),
    store.root('digicert-g2'),
  ]);
  const now = new Date();
  t.match(judgeThumbprint(peerOf(self), [self.fingerprint1], now, 'd'), {
    ok: true,
    detail: /primary thumbprint \(SHA-1\)/,
  });
  t.match(judgeThumbprint(peerOf(self), ['00'.repeat(20), self.fingerprint256], now, 'd'), {
    ok: true,
    detail: /secondary thumbprint \(SHA-256\)/,
  });
  t.match(judgeThumbprint(peerOf(self), ['00'.repeat(20)], now, 'd'), {
    ok: false,
    reason: /Thumbprint does not match configuration.*PrimaryThumbprint=0000/,
  });
  t.match(judgeThumbprint(peerOf(self), [self.fingerprint1], new Date(self.notAfter.getTime() + DAY), 'd'), {
    ok: false,
    reason: /expired at/,
  });
  t.match(judgeThumbprint(undefined, [self.fingerprint1], now, "device 'd'"), {
    ok: false,
    reason: /device 'd' authenticates with X.509 but sent no client certificate/,
  });

  const cas = [new crypto.X509Certificate(deviceRoot.certPem)];
  t.match(judgeCaSigned(peerOf(ca), 'unit-ca', cas, now, 'd'), { ok: true, detail: /hubtls Test Device Root CA/ });
  t.match(judgeCaSigned(peerOf(ca), 'unit-other', cas, now, 'd'), {
    ok: false,
    reason: /CN 'unit-ca' does not match 'unit-other'/,
  });
  t.match(judgeCaSigned(peerOf(ca), 'unit-ca', [new crypto.X509Certificate(g2.certPem)], now, 'd'), {
    ok: false,
    reason: /does not lead to a registered CA/,
  });
  t.match(judgeCaSigned(peerOf(ca), 'unit-ca', cas, new Date(ca.notAfter.getTime() + DAY), 'd'), {
    ok: false,
    reason: /expired at/,
  });
  t.match(judgeCaSigned(peerOf(later), 'unit-later', cas, now, 'd'), { ok: false, reason: /not valid before/ });
  t.match(
    judgeCaSigned(peerOf(later), 'unit-later', cas, new Date(later.notBefore.getTime() + DAY), 'd'),
    { ok: true },
    'accepted once the scenario clock reaches its window',
  );
});

t.test('registry: DPS attestation, assignment, telemetry ring', async (t) => {
  const store = await sharedStore();
  const [individualKey, groupKey] = [randomKey(), randomKey()];
  const config = compileDevices(
    {
      idScope: '0ne0000AB12',
      endpoints: [
        { name: 'hub', kind: 'iothub', hostnames: ['*.azure-devices.net'] },
        { name: 'dps', kind: 'dps', hostnames: ['*.azure-devices-provisioning.net'] },
      ],
      enrollments: [
        { registrationId: 'one', attestation: 'symmetric-key', primaryKey: individualKey, deviceId: 'one-in-hub' },
        { groupId: 'many', attestation: 'symmetric-key', primaryKey: groupKey },
      ],
    },
    '.',
  );
  let clock = new Date();
  const registry = new DeviceRegistry(config, () => clock);
  await registry.load(store);
  const sas = (id: string, key: string) => dpsSas(id, key, '0ne0000AB12');

  const one = registry.dps.attest({
    registrationId: 'one',
    idScope: '0ne0000ab12',
    sas: await sas('one', individualKey),
    now: clock,
  });
  t.match(one, { ok: true, detail: /individual enrollment, primary key/ });
  t.match(
    registry.dps.attest({
      registrationId: 'one',
      idScope: '0ne0000FFFF',
      sas: await sas('one', individualKey),
      now: clock,
    }),
    { ok: false, outcome: 'HUBTLS_DEVICE_UNAUTHORIZED', reason: /id scope/ },
  );
  t.match(
    registry.dps.attest({
      registrationId: 'two',
      idScope: '0ne0000AB12',
      sas: await sas('two', randomKey()),
      now: clock,
    }),
    { ok: false, reason: /group many: SAS signature does not match/ },
  );
  const two = registry.dps.attest({
    registrationId: 'two',
    idScope: '0ne0000AB12',
    sas: await sas('two', deriveDeviceKey(groupKey, 'two')),
    now: clock,
  });
  if (!one.ok || !two.ok) throw new Error('attestation failed');
  const op = registry.dps.register(one);
  t.equal(op.status, 'assigning');
  t.equal(registry.get('one-in-hub'), undefined, 'not in the hub before the device polls');
  t.match(registry.dps.status('one', op.operationId), {
    status: 'assigned',
    registrationState: {
      deviceId: 'one-in-hub',
      assignedHub: 'hubtls.azure-devices.net',
      substatus: 'initialAssignment',
    },
  });
  t.equal(registry.dps.status('two', op.operationId), undefined, "another registration's operation is not found");
  registry.dps.status('two', registry.dps.register(two).operationId);
  t.same(
    registry.get('two')?.spec.auth,
    { type: 'sas', primaryKey: deriveDeviceKey(groupKey, 'two') },
    'hub device gets the derived key',
  );

  for (let i = 0; i < TELEMETRY_KEPT + 5; i++) {
    clock = new Date(clock.getTime() + 1000);
    registry.recordTelemetry('two', {
      at: clock.toISOString(),
      protocol: 'mqtt',
      properties: {},
      body: `m${i}`,
      bytes: 2,
    });
  }
  const view = registry.list().find((d) => d.id === 'two')!;
  t.equal(view.telemetryCount, TELEMETRY_KEPT + 5);
  t.equal(registry.telemetry('two').length, TELEMETRY_KEPT);
  t.equal(registry.telemetry('two')[0]!.body, 'm5', 'oldest dropped first');
  t.equal(view.lastActivity, clock.toISOString(), 'timestamps come from the scenario clock');
  const snap = registry.snapshot();
  t.same(
    snap.registrations.map((r) => r.deviceId),
    ['one-in-hub', 'two'],
  );
  t.same(
    snap.enrollments.map((e) => [e.kind, e.id, e.attestation]),
    [
      ['individual', 'one', 'symmetric-key'],
      ['group', 'many', 'symmetric-key'],
    ],
  );
  const shown = JSON.stringify(snap);
  t.notOk(
    [groupKey, individualKey, deriveDeviceKey(groupKey, 'two')].some((k) => shown.includes(k)),
    'no keys in what the admin API shows',
  );
});

t.test('a self-signed device certificate is reused by another process and exported (not "repaired")', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = await Promise.all([PkiStore.open(dir), PkiStore.open(dir)]);
  const first = await a.deviceCert('self-dev', { signer: 'self', keyType: 'ec' });
  const second = await b.deviceCert('self-dev', { signer: 'self', keyType: 'ec' });
  t.equal(second.fingerprint256, first.fingerprint256, 'the registered thumbprint stays valid');
  t.same(
    (await (await PkiStore.open(dir)).listDeviceCerts()).map((d) => d.fingerprint256),
    [first.fingerprint256],
    'certs export finds it',
  );
});
