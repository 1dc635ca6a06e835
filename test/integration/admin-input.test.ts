/**
 * Issue 13 item 11, admin input from outside: bodies are validated as sent (no coercion), the
 * bearer scheme is case-insensitive, device certificates only for devices the scenario knows, and
 * the dashboard carries a Content-Security-Policy that still lets its own script and style run.
 */
import t from 'tap';
import { createHash, X509Certificate } from 'node:crypto';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';

t.test('a JSON body is not coerced: {"chain":["g2"]} is a 400 and nothing changes', async (t) => {
  const { call } = await startAdminUnderTest(t);
  const before = (await call('GET', '/state')).json().endpoints[0].chains.rsa.id;
  const r = await call('POST', '/timeline/chain', { endpoint: 'hub', chain: ['baltimore'] });
  t.equal(r.statusCode, 400, r.body);
  t.equal(r.json().error.code, 'HUBTLS_ADMIN_BAD_REQUEST');
  t.equal((await call('GET', '/state')).json().endpoints[0].chains.rsa.id, before, 'the chain did not change');
  const n = await call('POST', '/timeline/fault', { id: 'x', probability: '0.5' });
  t.equal(n.statusCode, 400, 'a number sent as a string is refused too');
  const q = await call('GET', '/handshakes?limit=5');
  t.equal(q.statusCode, 200, 'query strings are still read as numbers');
});

t.test('the bearer scheme is case-insensitive', async (t) => {
  const { app } = await startAdminUnderTest(t);
  for (const scheme of ['Bearer', 'bearer', 'BEARER'])
    t.equal(
      (await app.inject({ method: 'GET', url: '/state', headers: { authorization: `${scheme} ${TOKEN}` } })).statusCode,
      200,
      `${scheme} TOKEN`,
    );
  const wrong = await app.inject({ method: 'GET', url: '/state', headers: { authorization: `bearer ${TOKEN}x` } });
  t.equal(wrong.statusCode, 401, 'the token itself is still compared exactly');
});

t.test('device certificates: only for devices the scenario knows, 404 naming them otherwise', async (t) => {
  const { call, th } = await startAdminUnderTest(t, 'scenarios/devices.yaml');
  const ok = await call('GET', '/certs/devices/sensor-self');
  t.equal(ok.statusCode, 200);
  t.match(ok.body, /BEGIN CERTIFICATE/);
  const stranger = `attacker-${process.pid}-${Date.now()}`;
  const unknown = await call('GET', `/certs/devices/${stranger}`);
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json().error, { code: 'HUBTLS_UNKNOWN_DEVICE', hint: /sensor-sas.*sensor-self.*sensor-ca/ });
  const issued = (await th.hub.runtime.pki.listDeviceCerts()).map((d) => d.certPem);
  t.notOk(
    issued.some((pem) => new X509Certificate(pem).subject.includes(`CN=${stranger}`)),
    'no key or certificate was made for the unknown id',
  );
  const none = await startAdminUnderTest(t);
  const r = await none.call('GET', '/certs/devices/dev-1');
  t.equal(r.statusCode, 404);
  t.match(r.json().error.hint, /registers no devices/);
});

t.test('the dashboard: CSP with the hashes of its inline script and style, no framing, nosniff', async (t) => {
  const { app } = await startAdminUnderTest(t);
  const r = await app.inject({ method: 'GET', url: `/dashboard?token=${TOKEN}` });
  t.equal(r.statusCode, 200);
  const csp = String(r.headers['content-security-policy']);
  t.match(csp, /frame-ancestors 'none'/);
  t.match(csp, /default-src 'none'/);
  t.notMatch(csp, /unsafe-inline|unsafe-eval/);
  const sha = (s: string) => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;
  const scripts = [...r.body.matchAll(/<script type="module">([\s\S]*?)<\/script>/g)].map((m) => m[1]!);
  const style = /<style>([\s\S]*?)<\/style>/.exec(r.body)![1]!;
  t.equal(scripts.length, 2, 'app.js and the devices panel');
  t.ok(
    csp.includes(`script-src ${scripts.map(sha).join(' ')};`),
    'each inline script is allowed by its hash, nothing else',
  );
  t.ok(csp.includes(`style-src ${sha(style)}`), 'the inline style is allowed by its hash');
  t.equal(r.headers['x-content-type-options'], 'nosniff');
  t.equal(r.headers['x-frame-options'], 'DENY');
  const api = await app.inject({ method: 'GET', url: '/state', headers: { authorization: `Bearer ${TOKEN}` } });
  t.equal(api.headers['x-content-type-options'], 'nosniff', 'API answers are not sniffed either');
});
