/**
 * The timeline layer through the admin API, with real clients: trigger an `on: admin` step, start
 * and stop faults, hot reload through a real hub's admin port.
 */
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { scenarioFile } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';
import { startHub } from '../../src/hub.js';
import { SHARED_DIR } from '../helpers/pki.js';

const HUB = ['-servername', 'myhub.azure-devices.net'];
const story = (profile = 'iothub-2025') => ({
  name: 'admin-story',
  endpoints: [
    {
      name: 'hub',
      kind: 'iothub',
      hostnames: ['*.azure-devices.net'],
      profile,
      chain: 'g2',
      faults: [{ fault: 'stall', id: 'st', active: false }],
    },
  ],
  timeline: [{ id: 'go', on: 'admin', chain: 'baltimore' }],
});

t.test('trigger and faults', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const { th, call } = await startAdminUnderTest(t, story());

  await t.test('state lists the waiting step and the declared fault', async (t) => {
    const s = (await call('GET', '/state')).json();
    t.match(s.timeline, [{ id: 'go', state: 'waiting', trigger: /admin/ }]);
    t.match(s.faults, [{ id: 'st', fault: 'stall', active: false }]);
  });

  await t.test('POST /timeline/trigger runs the step; a real client meets the new chain; it runs once', async (t) => {
    const r = (await call('POST', '/timeline/trigger', { step: 'go' })).json();
    t.equal(r.state.endpoints[0].chains.rsa.id, 'baltimore');
    t.match(r.state.timeline, [{ id: 'go', state: 'done', firedBy: 'admin trigger' }]);
    t.match((await sClient(th.port, HUB)).output, /Baltimore CyberTrust Root/);
    t.equal((await call('POST', '/timeline/trigger', { step: 'go' })).json().error.code, 'HUBTLS_STEP_DONE');
    t.match((await call('POST', '/timeline/trigger', { step: 'og' })).json().error, { code: 'HUBTLS_UNKNOWN_STEP' });
  });

  await t.test('POST /timeline/fault starts a new fault a real client feels, then stops it', async (t) => {
    const start = (await call('POST', '/timeline/fault', { fault: 'reset-after-hello', endpoint: 'hub' })).json();
    const f = start.state.faults.find((x: { fault: string }) => x.fault === 'reset-after-hello');
    t.match(f, { id: 'hub.reset-after-hello', active: true });
    const r = await sClient(th.port, HUB);
    t.notOk(r.handshakeOk, 'the connection is reset after the ClientHello');
    t.match(await th.nextHandshake((h) => h.outcome === 'HUBTLS_FAULT_INJECTED'), { endpoint: 'hub' });
    const stop = (await call('POST', '/timeline/fault', { id: f.id, stop: true })).json();
    t.equal(stop.state.faults.find((x: { id: string }) => x.id === f.id).active, false);
    t.ok((await sClient(th.port, HUB)).handshakeOk, 'stopped: handshakes complete again');
    t.equal(
      (await call('POST', '/timeline/fault', { id: 'st' }))
        .json()
        .state.faults.find((x: { id: string }) => x.id === 'st').active,
      true,
      'a declared fault starts by id',
    );
    t.equal((await call('POST', '/timeline/fault', { id: 'st', stop: true })).statusCode, 200);
    t.match((await call('POST', '/timeline/fault', { fault: 'nope', endpoint: 'hub' })).json().error, {
      code: 'HUBTLS_UNKNOWN_FAULT',
      hint: /stall/,
    });
  });
});

t.test('POST /scenario/reload through a real hub: applies a changed file, refuses a broken one', async (t) => {
  const file = scenarioFile(story());
  const hub = await startHub({
    scenarioFile: file,
    certsDir: SHARED_DIR,
    overrides: { port: 0, adminPort: 0 },
    adminToken: TOKEN,
  });
  t.teardown(() => hub.close());
  const post = async (body: object) => {
    const r = await fetch(`${hub.admin!.url}/scenario/reload`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    type Answer = { state: { endpoints: Array<{ profile: string }> }; error: Record<string, unknown> };
    return { status: r.status, json: (await r.json()) as Answer };
  };
  writeFileSync(file, stringify(story('iothub-legacy')));
  const ok = await post({});
  t.equal(ok.status, 200, JSON.stringify(ok.json));
  t.equal(ok.json.state.endpoints[0]!.profile, 'iothub-legacy');
  writeFileSync(file, 'name: broken\nendpoints: []\n');
  const bad = await post({});
  t.equal(bad.status, 400);
  t.match(bad.json.error, { code: 'HUBTLS_RELOAD_REFUSED', hint: /unchanged/ });
  const s = await fetch(`${hub.admin!.url}/state`, { headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(
    ((await s.json()) as { endpoints: Array<{ profile: string }> }).endpoints[0]!.profile,
    'iothub-legacy',
    'the running scenario is unchanged',
  );
});
