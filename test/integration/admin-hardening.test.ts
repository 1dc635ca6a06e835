/**
 * Issue 9, admin plane: every route but /healthz refuses without the token (and with a wrong one),
 * the API binds 127.0.0.1 unless asked, asking for more prints a loud warning and logs an event,
 * and no route serves a private key of the Azure stand-ins.
 */
import t from 'tap';
import { startHub } from '../../src/hub.js';
import { EventBus } from '../../src/events/bus.js';
import type { NoticeEvent } from '../../src/events/types.js';
import { SHARED_DIR } from '../helpers/pki.js';
import { runCli } from '../helpers/cli.js';

const OPEN = new Set(['/healthz']);

t.test('in-process hub: loopback by default, token on every route, no private keys', async (t) => {
  const bus = new EventBus();
  const notices: NoticeEvent[] = [];
  bus.subscribe((e) => void (e.type === 'notice' && notices.push(e)));
  const hub = await startHub({
    scenarioFile: 'scenarios/default.yaml',
    certsDir: SHARED_DIR,
    bus,
    overrides: { port: 0, adminPort: 0 },
    adminToken: 'right-token',
  });
  t.teardown(() => hub.close());
  const admin = hub.admin!;
  t.match(admin.url, /^http:\/\/127\.0\.0\.1:\d+$/, 'binds 127.0.0.1 by default');
  t.notOk(
    notices.some((n) => n.what === 'admin-exposed'),
    'no exposure warning on loopback',
  );
  const guarded = admin.routes.filter((r) => !OPEN.has(r.url) && r.method !== 'HEAD' && r.method !== 'OPTIONS');
  t.ok(guarded.length > 0, `guarded routes: ${guarded.map((r) => `${r.method} ${r.url}`).join(', ')}`);
  for (const r of guarded) {
    const url = admin.url + r.url.replace(/:(\w+)/g, 'x');
    for (const auth of [undefined, 'Bearer wrong-token', 'right-token', 'Basic cmlnaHQtdG9rZW4=']) {
      const res = await fetch(url, { method: r.method, headers: auth ? { authorization: auth } : {} });
      t.equal(res.status, 401, `${r.method} ${r.url} with ${auth ?? 'no Authorization'} → 401`);
    }
  }
  for (const r of admin.routes.filter((x) => x.method === 'GET' && !x.url.includes(':'))) {
    const res = await fetch(admin.url + r.url, { headers: { authorization: 'Bearer right-token' } });
    t.equal(res.status, 200, `GET ${r.url} with the token → 200`);
    // The SSE stream never ends: its status and type are the check, not a body to read to the end.
    if (res.headers.get('content-type')?.startsWith('text/event-stream')) {
      await res.body?.cancel();
      continue;
    }
    const body = await res.text();
    t.notMatch(body, /PRIVATE KEY/, `GET ${r.url} serves no private key`);
  }
});

t.test('CLI --admin-host beyond loopback: loud warning on stderr and a warn event', async (t) => {
  const hub = await runCli(['--admin-host', '0.0.0.0']);
  t.teardown(() => void hub.child.kill('SIGKILL'));
  t.match(hub.adminUrl, /^http:\/\/0\.0\.0\.0:\d+$/);
  t.match(hub.stderr(), /WARNING: the admin API is reachable beyond this machine/);
  t.match(
    hub.events().find((e) => e.what === 'admin-exposed'),
    { level: 40, msg: /beyond loopback/ },
  );
  const port = new URL(hub.adminUrl!).port;
  t.equal((await fetch(`http://127.0.0.1:${port}/state`)).status, 401, 'still needs the token');
  hub.child.kill('SIGTERM');
  t.equal(await hub.exited, 0);
});
