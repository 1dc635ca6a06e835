/**
 * Issue 14: a bench makes its own device CA (as the portal's Certificates page registers one in
 * Azure), lists its PEM under `deviceCAs:`, creates a device through the service SDK with
 * `certificateAuthority` authentication, and the device connects over MQTT with a certificate that
 * CA issued. A certificate with the same CN from another CA is refused (CONNACK 5). The CA and the
 * device certificates are made with Debian's openssl, nothing from hubtls.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import mqtt from 'mqtt';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, randomKey } from '../helpers/devices.js';
import { serviceSdk } from '../helpers/azure-sdk.js';
import { tempDir } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';

const run = promisify(execFile);
const HUB = 'myhub.azure-devices.net';
const KEY = randomKey();
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${KEY}`;
const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/** A self-signed CA, then a device certificate CN=id signed by it (or self-signed when `ca` is undefined). */
async function openssl(dir: string, name: string, subject: string, ca?: string): Promise<void> {
  const out = (ext: string) => path.join(dir, `${name}.${ext}`);
  if (!ca) {
    const caExt = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign'];
    await run('openssl', [
      'req',
      '-x509',
      ...EC,
      '-keyout',
      out('key'),
      '-out',
      out('pem'),
      '-subj',
      subject,
      '-days',
      '30',
      ...caExt,
    ]);
    return;
  }
  await run('openssl', ['req', ...EC, '-keyout', out('key'), '-out', out('csr'), '-subj', subject]);
  const caFile = (ext: string) => path.join(dir, `${ca}.${ext}`);
  await run('openssl', [
    'x509',
    '-req',
    '-in',
    out('csr'),
    '-CA',
    caFile('pem'),
    '-CAkey',
    caFile('key'),
    '-CAcreateserial',
    '-out',
    out('pem'),
    '-days',
    '30',
  ]);
}

function connect(port: number, ca: string, id: string, cert: string, key: string): Promise<number> {
  return new Promise((resolve) => {
    const c = mqtt.connect({
      protocol: 'mqtts',
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca,
      cert,
      key,
      protocolVersion: 4,
      reconnectPeriod: 0,
      clientId: id,
      username: `${HUB}/${id}/?api-version=2021-04-12`,
    });
    c.once('connect', (ack) => (c.end(true), resolve(ack.returnCode ?? 0)));
    c.once('error', (e) => (c.end(true), resolve((e as { code?: number }).code ?? -1)));
  });
}

t.test('a CA the bench made, a device created through the API, a certificate that CA issued', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const dir = await tempDir(t, 'hubtls-bench-ca-');
  await openssl(dir, 'bench-ca', '/CN=bench device CA');
  await openssl(dir, 'cam-9', '/CN=cam-9', 'bench-ca');
  await openssl(dir, 'other-ca', '/CN=someone else');
  await openssl(dir, 'cam-9-other', '/CN=cam-9', 'other-ca');
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, {
      name: 'bench-ca',
      deviceCAs: [{ file: path.join(dir, 'bench-ca.pem') }],
      policies: [
        { name: 'iothubowner', primaryKey: KEY, secondaryKey: randomKey(), rights: ['RegistryWrite', 'RegistryRead'] },
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
        { name: 'mqtt', kind: 'iothub', hostnames: ['localhost'], profile: 'iothub-2025', chain: 'g2', after: 'mqtt' },
      ],
    }),
  ]);
  const { registry } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
  const pem = (f: string) => readFileSync(path.join(dir, f), 'utf8');
  t.equal(await connect(th.port, trust.g2, 'cam-9', pem('cam-9.pem'), pem('cam-9.key')), 5, 'not in the registry yet');

  const created = await registry.create({
    deviceId: 'cam-9',
    authentication: { type: 'certificateAuthority' },
  } as never);
  t.equal(
    (created.responseBody as unknown as { authentication: { type: string } }).authentication.type,
    'certificateAuthority',
  );
  t.equal(
    await connect(th.port, trust.g2, 'cam-9', pem('cam-9.pem'), pem('cam-9.key')),
    0,
    'its CA-issued cert connects',
  );
  t.equal(
    await connect(th.port, trust.g2, 'cam-9', pem('cam-9-other.pem'), pem('cam-9-other.key')),
    5,
    'the same CN from a CA the hub does not know is refused',
  );
  const refused = th.events.filter((e) => e.type === 'session' && e.action === 'connect' && !e.ok).at(-1);
  t.match(refused, { deviceId: 'cam-9', errorCode: 401002 });
});
