/**
 * Hot reload: a valid new file is applied without dropping open connections; an invalid one is
 * refused with its problems and the running scenario stays; listeners come and go with the file;
 * the timeline keeps its place unless the file changed it. Then the CLI: file change and SIGHUP.
 */
import t from 'tap';
import { once } from 'node:events';
import net from 'node:net';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { startTestHub, scenarioFile } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { nextNotice } from '../helpers/events.js';
import { SHARED_DIR } from '../helpers/pki.js';

const hub = (over: Record<string, unknown> = {}) => ({
  name: 'hub',
  kind: 'iothub',
  hostnames: ['*.azure-devices.net'],
  default: true,
  profile: 'iothub-legacy',
  chain: 'g2',
  ...over,
});
const doc = (endpoints: object[], timeline?: object[]) => ({
  name: 'reload',
  endpoints,
  ...(timeline ? { timeline } : {}),
});
const TLS10 = ['-servername', 'myhub.azure-devices.net', '-tls1', '-cipher', 'ALL:@SECLEVEL=0'];

t.test('a valid reload changes the endpoint in place and keeps the open connection', async (t) => {
  const file = scenarioFile(doc([hub()]));
  const th = await startTestHub(t, file);
  const open = await nodeConnect(th.port, { verify: false, keepOpen: true });
  t.ok(open.ok);
  t.equal((await sClient(th.port, TLS10)).protocol, 'TLSv1', 'TLS 1.0 works under iothub-legacy');

  writeFileSync(file, stringify(doc([hub({ profile: 'iothub-tls12', chain: 'baltimore' })])));
  const r = await th.hub.reload();
  t.match(r, { ok: true, changed: ['hub'], removed: [], listenersAdded: [], listenersRemoved: [] });
  t.match(await nextNotice(th, 'reload'), { msg: /reloaded .*: changed hub/ });
  t.equal((await sClient(th.port, TLS10)).alert, 70, 'new connections meet iothub-tls12');
  t.match(await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION'), { profile: 'iothub-tls12' });
  t.notOk(open.socket!.destroyed, 'the connection opened before the reload is still open');
  open.socket!.write('still here');
  const fresh = await nodeConnect(th.port, { verify: false });
  t.ok(fresh.ok);
  t.match(await th.nextHandshake((h) => h.chain?.id === 'baltimore'), { outcome: 'HUBTLS_ACCEPTED' });
  open.socket!.destroy();
});

t.test('an invalid file is refused with every problem; the running scenario stays', async (t) => {
  const file = scenarioFile(doc([hub()]));
  const th = await startTestHub(t, file);
  writeFileSync(file, stringify(doc([hub({ profile: 'iothub-2052', chain: 'g3' })])));
  const r = await th.hub.reload();
  t.equal(r.ok, false);
  t.match(
    r.error,
    /2 problems[\s\S]*endpoints\[0\]\.profile .*did you mean "iothub-2025"[\s\S]*endpoints\[0\]\.chain .*did you mean "g2"/,
  );
  t.match(await nextNotice(th, 'reload-refused'), { level: 'warn', msg: /the running scenario stays/ });
  t.equal((await sClient(th.port, TLS10)).protocol, 'TLSv1', 'still iothub-legacy');
});

t.test(
  'listeners: a new host:port is bound, a dropped one stops accepting; a port in use refuses the reload',
  async (t) => {
    const file = scenarioFile(doc([hub()]));
    const th = await startTestHub(t, file);
    const second = {
      name: 'dps',
      kind: 'dps',
      hostnames: ['*.azure-devices-provisioning.net'],
      profile: 'dps',
      chain: 'g2',
      host: '127.0.0.2',
      port: 0,
    };
    writeFileSync(file, stringify(doc([hub(), second])));
    const added = await th.hub.reload();
    t.match(added, { ok: true, changed: ['dps'], listenersAdded: [/^127\.0\.0\.2:\d+$/] });
    const dpsPort = th.hub.port('dps');
    t.not(dpsPort, th.port);
    const probe = spawn(
      'openssl',
      ['s_client', '-connect', `127.0.0.2:${dpsPort}`, '-servername', 'global.azure-devices-provisioning.net'],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    probe.stdin.end();
    await once(probe, 'close');
    t.match(await th.nextHandshake((h) => h.endpoint === 'dps'), { outcome: 'HUBTLS_ACCEPTED', profile: 'dps' });

    writeFileSync(file, stringify(doc([hub()])));
    const removed = await th.hub.reload();
    t.match(removed, { ok: true, removed: ['dps'], listenersRemoved: [`127.0.0.2:${dpsPort}`] });
    t.equal(th.hub.listeners.all().length, 1);
    const gone = net.connect(dpsPort, '127.0.0.2');
    const [err] = (await once(gone, 'error')) as [NodeJS.ErrnoException];
    t.equal(err.code, 'ECONNREFUSED', 'the dropped listener no longer accepts');

    const taken = { ...second, host: '127.0.0.1', port: th.port };
    writeFileSync(file, stringify(doc([hub({ host: '127.0.0.2', port: 0 }), taken])));
    const refused = await th.hub.reload();
    t.match(refused, { ok: false, error: /is already in use/ });
    t.equal(th.hub.runtime.endpoints.list().length, 1, 'nothing of the refused file was applied');
  },
);

t.test('the timeline keeps its place across a reload unless the file changed it', async (t) => {
  const steps = [
    { id: 'migrate', on: 'admin', chain: 'baltimore' },
    { id: 'back', on: 'admin', chain: 'g2' },
  ];
  const file = scenarioFile(doc([hub()], steps));
  const th = await startTestHub(t, file);
  await th.hub.runtime.timeline.trigger('migrate');
  writeFileSync(
    file,
    stringify(
      doc(
        [
          hub(),
          { name: 'dps', kind: 'dps', hostnames: ['*.azure-devices-provisioning.net'], profile: 'dps', chain: 'g2' },
        ],
        steps,
      ),
    ),
  );
  t.match(await th.hub.reload(), { ok: true, changed: ['dps'], timelineRestarted: false });
  t.same(
    th.hub.runtime.endpoints.get('hub').chain,
    { catalog: 'baltimore' },
    'the unchanged hub keeps the chain its step switched to',
  );
  await t.rejects(
    th.hub.runtime.timeline.trigger('migrate'),
    { code: 'HUBTLS_STEP_DONE' },
    'the timeline did not start over',
  );
  writeFileSync(file, stringify(doc([hub()], [{ id: 'other', on: 'admin', drop: true }])));
  t.match(await th.hub.reload(), { ok: true, timelineRestarted: true });
  await th.hub.runtime.timeline.trigger('other');
  t.match(await nextNotice(th, 'step', { step: 'other' }), { ok: true });
});

t.test('devices are not reloaded: the reload says so', async (t) => {
  const file = scenarioFile(doc([hub()]));
  const th = await startTestHub(t, file);
  const key = Buffer.alloc(32, 7).toString('base64');
  writeFileSync(
    file,
    stringify({ ...doc([hub()]), devices: [{ id: 'meter-1', auth: 'sas', primaryKey: key, secondaryKey: key }] }),
  );
  const r = await th.hub.reload();
  t.match(r, { ok: true, warnings: [/devices, device CAs and enrollments are not reloaded .*restart hubtls/] });
  t.match(await nextNotice(th, 'reload'), { level: 'warn' });
});

t.test('hubtls run: reloads on file change and on SIGHUP, refuses a broken file', async (t) => {
  const file = scenarioFile(doc([hub()]));
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/cli/main.ts', 'run', '--port', '0', '--no-admin', file],
    { env: { ...process.env, HUBTLS_CERTS_DIR: SHARED_DIR }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  child.stdout!.resume();
  const waitFor = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      // A bound for a stuck child, not a speed check: four test files share two cores.
      const timer = setTimeout(() => (off(), reject(new Error(`no ${re} in: ${stderr}`))), 60_000);
      const check = () => re.test(stderr) && (off(), resolve());
      const off = () => (clearTimeout(timer), child.stderr!.off('data', check));
      child.stderr!.on('data', check);
      check();
    });
  await waitFor(/ready\. Ctrl-C stops\./);
  writeFileSync(file, stringify(doc([hub({ profile: 'iothub-tls12' })])));
  await waitFor(/file changed: reloaded .* \(changed: hub\)/);
  writeFileSync(file, 'name: [broken');
  await waitFor(/file changed: reload refused, still running the previous scenario:\n.*1 problem\n.*invalid YAML/);
  writeFileSync(file, stringify(doc([hub({ profile: 'iothub-2025' })])));
  await waitFor(/file changed: reloaded .*\(changed: hub\)[\s\S]*file changed: reloaded .*\(changed: hub\)/);
  child.kill('SIGHUP');
  await waitFor(/SIGHUP: reloaded /);
  child.kill('SIGINT');
  const [code] = (await once(child, 'close')) as [number];
  t.equal(code, 0);
});
