/**
 * `hubtls connection-string` as a user runs it, and the service string in `hubtls run`'s banner:
 * the default iothubowner key is stable for one certs folder and differs for another, and the
 * printed string signs tokens (with the service SDK's own code) that the hub's policy table accepts.
 */
import t from 'tap';
import { once } from 'node:events';
import iothub from 'azure-iothub';
import { collect, runCli, spawnHubtls } from '../helpers/cli.js';
import { scenarioFile } from '../helpers/hub.js';
import { SHARED_DIR, tempDir } from '../helpers/pki.js';
import { randomKey } from '../helpers/devices.js';
import { PolicyTable } from '../../src/core/policies.js';
import { defaultPolicy } from '../../src/core/policy-keys.js';
import { parseSas, signedWith } from '../../src/core/sas.js';

const HUB = 'bench.azure-devices.net';
const hubEndpoint = {
  name: 'hub',
  kind: 'iothub',
  hostnames: [HUB, 'localhost'],
  profile: 'iothub-2025',
  chain: 'g2',
  after: 'mqtt',
};
const DEV_KEY = randomKey();
const MOD_KEY = randomKey();
const SVC_KEY = randomKey();

const plain = scenarioFile({ name: 'no-policies', endpoints: [hubEndpoint] });
const withBlock = scenarioFile({
  name: 'policies',
  endpoints: [hubEndpoint],
  devices: [
    { id: 'sas-1', auth: 'sas', primaryKey: DEV_KEY, modules: [{ id: 'edge-agent', primaryKey: MOD_KEY }] },
    { id: 'cert-1', auth: 'x509-ca' },
  ],
  policies: [
    { name: 'reader', primaryKey: randomKey(), secondaryKey: randomKey(), rights: ['RegistryRead'] },
    { name: 'service', primaryKey: SVC_KEY, secondaryKey: randomKey(), rights: ['ServiceConnect'] },
  ],
});

const cs = (args: string[]) => collect(spawnHubtls(['connection-string', ...args]));

t.test('without policies: the default iothubowner, the same key for one certs folder', async (t) => {
  const dir = await tempDir(t, 'hubtls-cs-');
  const other = await tempDir(t, 'hubtls-cs-');
  const [a, b, c] = [
    await cs([plain, '--certs', dir]),
    await cs([plain, '--certs', dir]),
    await cs([plain, '--certs', other]),
  ];
  for (const r of [a, b, c]) t.equal(r.code, 0, r.stderr);
  t.match(
    a.stdout,
    new RegExp(`^HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=[A-Za-z0-9+/=]{44}\\n$`),
  );
  t.equal(b.stdout, a.stdout, 'second run, same folder: same string');
  t.not(c.stdout, a.stdout, 'another certs folder: another key');
  // The printed key is the one a hub started on that folder checks tokens against.
  const parsed = iothub.ConnectionString.parse(a.stdout.trim());
  const token = iothub.SharedAccessSignature.create(
    parsed.HostName!,
    parsed.SharedAccessKeyName!,
    parsed.SharedAccessKey!,
    String(Math.floor(Date.now() / 1000) + 600),
  ).toString();
  const table = new PolicyTable([await defaultPolicy(dir)], () => new Date());
  t.same(table.authorize(token, HUB, 'RegistryWrite'), { ok: true, policy: 'iothubowner' });
});

t.test('with policies: the first with ServiceConnect, --policy, --device and the errors', async (t) => {
  const dir = await tempDir(t, 'hubtls-cs-');
  const svc = await cs([withBlock, '--certs', dir]);
  t.equal(svc.stdout, `HostName=${HUB};SharedAccessKeyName=service;SharedAccessKey=${SVC_KEY}\n`, svc.stderr);
  const reader = await cs([withBlock, '--certs', dir, '--policy', 'reader']);
  t.match(reader.stdout, /^HostName=bench\.azure-devices\.net;SharedAccessKeyName=reader;SharedAccessKey=/);
  const dev = await cs([withBlock, '--certs', dir, '--device', 'sas-1']);
  t.equal(dev.stdout, `HostName=${HUB};DeviceId=sas-1;SharedAccessKey=${DEV_KEY}\n`);
  const x509 = await cs([withBlock, '--certs', dir, '--device', 'cert-1']);
  t.equal(x509.code, 2);
  t.equal(x509.stdout, '');
  t.match(x509.stderr, /device 'cert-1' authenticates with x509-ca .*\n.*hubtls certs export/);
  const mod = await cs([withBlock, '--certs', dir, '--device', 'sas-1', '--module', 'edge-agent']);
  t.equal(mod.stdout, `HostName=${HUB};DeviceId=sas-1;ModuleId=edge-agent;SharedAccessKey=${MOD_KEY}\n`, mod.stderr);
  const noMod = await cs([withBlock, '--certs', dir, '--device', 'sas-1', '--module', 'm1']);
  t.equal(noMod.code, 2);
  t.match(noMod.stderr, /device 'sas-1' has no module 'm1' in the scenario[\s\S]*its modules: edge-agent/);
  const unknown = await cs([withBlock, '--certs', dir, '--policy', 'iothubowner']);
  t.match(unknown.stderr, /no shared access policy 'iothubowner'[\s\S]*the hub has: reader, service/);
});

t.test('--token prints a SAS token for curl: the policy table and the device check accept it', async (t) => {
  const dir = await tempDir(t, 'hubtls-cs-');
  const svc = await cs([withBlock, '--certs', dir, '--token', '--ttl', '120']);
  t.equal(svc.code, 0, svc.stderr);
  t.match(svc.stdout, /^SharedAccessSignature sr=bench\.azure-devices\.net&sig=[^&]+&se=\d+&skn=service\n$/);
  const table = new PolicyTable(
    [{ name: 'service', primaryKey: SVC_KEY, secondaryKey: randomKey(), rights: ['ServiceConnect'] }],
    () => new Date(),
  );
  t.same(table.authorize(svc.stdout.trim(), HUB, 'ServiceConnect'), { ok: true, policy: 'service' });
  const later = new PolicyTable(table.list(), () => new Date(Date.now() + 121_000));
  t.match(later.authorize(svc.stdout.trim(), HUB, 'ServiceConnect'), { ok: false, reason: /expired/ }, '--ttl counts');
  const dev = await cs([withBlock, '--certs', dir, '--device', 'sas-1', '--token']);
  const token = parseSas(dev.stdout.trim())!;
  t.equal(token.resource, `${HUB}/devices/sas-1`);
  t.ok(signedWith(token, DEV_KEY), 'signed with the device key');
});

t.test('hubtls run prints the service connection string and how SDKs reach it', async (t) => {
  const hub = await runCli(['--no-admin', plain]);
  t.teardown(() => void hub.child.kill('SIGKILL'));
  const expected = (await cs([plain, '--certs', SHARED_DIR])).stdout.trim();
  const lines = hub.stderr().split('\n');
  const service = lines.find((l) => l.startsWith('service: '));
  t.equal(service?.split(/\s+/)[1], expected, 'the banner and the command agree (same certs folder)');
  t.match(lines[lines.indexOf(service!) + 1], `GatewayHostName=127.0.0.1:${hub.port}`);
  t.match(lines[lines.indexOf(service!) + 1], `hosts entry "127.0.0.1 ${HUB}"`);
  hub.child.kill('SIGINT');
  await once(hub.child, 'close');
});
