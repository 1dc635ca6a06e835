/**
 * Every admin route through fastify's inject, over a real hub with real handshakes (openssl
 * s_client): auth failures, the one error shape, state, handshakes, timeline actions, certs,
 * metrics, OpenAPI, dashboard.
 */
import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { startAdminUnderTest, TOKEN } from '../helpers/admin.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';
import { Value } from '@sinclair/typebox/value';
import { HandshakeEvent } from '../../src/events/handshake.js';

const HUB = ['-servername', 'myhub.azure-devices.net'];

const SECURED: Array<['GET' | 'POST', string]> = [
  ['GET', '/state'],
  ['GET', '/handshakes'],
  ['GET', '/catalog'],
  ['GET', '/events'],
  ['GET', '/metrics'],
  ['GET', '/docs/json'],
  ['GET', '/dashboard'],
  ['GET', '/'],
  ['GET', '/certs/roots'],
  ['GET', '/certs/roots/digicert-g2'],
  ['GET', '/certs/devices/dev-1'],
  ['POST', '/timeline/migrate'],
  ['POST', '/timeline/chain'],
  ['POST', '/timeline/clock'],
  ['POST', '/timeline/profile'],
  ['POST', '/timeline/drop'],
  ['POST', '/timeline/trigger'],
  ['POST', '/timeline/fault'],
  ['POST', '/scenario/reload'],
];

t.test('admin API', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const { th, app, call } = await startAdminUnderTest(t);

  await t.test(
    '/healthz is open; every other route answers 401 with the error shape without a good token',
    async (t) => {
      t.equal((await app.inject({ method: 'GET', url: '/healthz' })).json().ok, true);
      for (const [method, url] of SECURED) {
        for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }]) {
          const r = await app.inject({ method, url, headers, payload: method === 'POST' ? {} : undefined });
          t.equal(r.statusCode, 401, `${method} ${url} ${JSON.stringify(headers)}`);
          t.equal(r.json().error.code, 'HUBTLS_ADMIN_UNAUTHORIZED');
        }
      }
      const q = await app.inject({ method: 'GET', url: `/state?token=${TOKEN}x` });
      t.equal(q.statusCode, 401, 'a wrong ?token= is refused too');
      t.equal(
        (await app.inject({ method: 'GET', url: `/state?token=${TOKEN}` })).statusCode,
        200,
        '?token= works for the browser',
      );
    },
  );

  await t.test('every route OpenAPI documents refuses a request without the token (new routes too)', async (t) => {
    const doc = (await call('GET', '/docs/json')).json() as { paths: Record<string, Record<string, unknown>> };
    let n = 0;
    for (const [path, ops] of Object.entries(doc.paths)) {
      if (path === '/healthz') continue;
      for (const method of Object.keys(ops).filter((m) => ['get', 'post', 'patch', 'put', 'delete'].includes(m))) {
        const url = path.replace(/\{[^}]+\}/g, 'x');
        const r = await app.inject({
          method: method.toUpperCase() as 'GET',
          url,
          payload: method === 'get' ? undefined : {},
        });
        t.equal(r.statusCode, 401, `${method.toUpperCase()} ${path}`);
        n++;
      }
    }
    t.ok(n >= SECURED.length, `${n} documented operations checked`);
  });

  await t.test('GET /state: endpoints, real ports, chains drawn certificate by certificate', async (t) => {
    const s = (await call('GET', '/state')).json();
    t.equal(s.scenario.name, 'default');
    const hub = s.endpoints.find((e: { name: string }) => e.name === 'hub');
    t.equal(hub.listen.port, th.port);
    t.equal(hub.profile, 'iothub-2025');
    t.equal(hub.chains.rsa.id, 'g2');
    t.equal(hub.chains.rsa.rootId, 'digicert-g2');
    t.same(
      hub.chains.rsa.served.map((c: { cn: string }) => c.cn),
      ['*.azure-devices.net', 'Microsoft Azure RSA TLS Issuing CA 03'],
    );
    t.equal(hub.chains.ec.keyType, 'ec');
    t.same(s.devices, []);
  });

  await t.test('GET /handshakes: real handshakes with outcomes, filters, bad filter is a 400', async (t) => {
    await sClient(th.port, HUB);
    await sClient(th.port, [...HUB, '-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
    const logged = [
      await th.nextHandshake((h) => h.outcome === 'HUBTLS_REFUSED_VERSION'),
      await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED'),
    ];
    for (const e of logged) t.ok(Value.Check(HandshakeEvent, e), `${e.outcome} event matches its TypeBox definition`);
    const all = (await call('GET', '/handshakes')).json();
    t.ok(all.total >= 2);
    for (const { seq: _seq, at: _at, ...served } of all.handshakes) {
      const e = logged.find((l) => l.conn === served.conn);
      t.same(served, JSON.parse(JSON.stringify(e)), `the API serves the ${served.outcome} event whole`);
    }
    t.same(all.handshakes.map((h: { outcome: string }) => h.outcome).sort(), [
      'HUBTLS_ACCEPTED',
      'HUBTLS_REFUSED_VERSION',
    ]);
    const refused = (await call('GET', '/handshakes?outcome=HUBTLS_REFUSED_VERSION&limit=5')).json();
    t.equal(refused.handshakes.length, 1);
    t.match(refused.handshakes[0], {
      endpoint: 'hub',
      alertSent: 'protocol_version',
      hello: { sni: 'myhub.azure-devices.net' },
    });
    const after = (await call('GET', `/handshakes?after=${all.handshakes[0].seq}`)).json();
    t.same(after.handshakes, [], 'nothing newer than the newest');
    const bad = await call('GET', '/handshakes?outcome=HUBTLS_NOPE');
    t.equal(bad.statusCode, 400);
    t.equal(bad.json().error.code, 'HUBTLS_ADMIN_BAD_REQUEST');
  });

  await t.test('GET /catalog lists chains, roots, profiles, outcomes', async (t) => {
    const c = (await call('GET', '/catalog')).json();
    t.ok(c.chains.some((x: { id: string }) => x.id === 'baltimore'));
    t.ok(c.profiles.some((x: { id: string }) => x.id === 'iothub-tls13-preview'));
    t.ok(c.outcomes.some((x: { code: string }) => x.code === 'HUBTLS_CLIENT_REJECTED_CHAIN'));
    t.ok(c.roots.some((x: { id: string }) => x.id === 'digicert-g3'));
  });

  await t.test('POST /timeline/migrate switches every RSA endpoint; a real client sees the new root', async (t) => {
    const r = await call('POST', '/timeline/migrate', { chain: 'baltimore' });
    t.equal(r.statusCode, 200, r.body);
    t.same(
      r.json().state.endpoints.map((e: { chains: { rsa: { id: string } } }) => e.chains.rsa.id),
      ['baltimore', 'baltimore'],
    );
    t.type(r.json().dropped, 'number', 'open connections were dropped');
    const root = (await call('GET', '/certs/roots/baltimore')).body;
    const file = `${th.hub.runtime.pki.dir}/../hubtls-admin-baltimore-${process.pid}.pem`;
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(file, root);
    t.teardown(() => rmSync(file, { force: true }));
    const s = await sClient(th.port, [...HUB, '-CAfile', file, '-verify_return_error']);
    t.equal(s.verifyCode, 0, 'openssl trusting only Baltimore verifies the migrated chain');
    const back = await call('POST', '/timeline/migrate', { chain: 'g2', drop: false });
    t.equal(back.json().dropped, undefined);
    const typo = await call('POST', '/timeline/migrate', { chain: 'baltimor' });
    t.equal(typo.statusCode, 400);
    t.equal(typo.json().error.code, 'HUBTLS_UNKNOWN_CHAIN');
    t.match(typo.json().error.message, /did you mean "baltimore"/);
    t.equal(
      (await call('POST', '/timeline/migrate', { chain: 'g2', endpoints: ['hbu'] })).json().error.code,
      'HUBTLS_UNKNOWN_ENDPOINT',
    );
    t.equal(
      (await call('POST', '/timeline/migrate', { chain: 'g2', extra: 1 })).statusCode,
      400,
      'unknown fields are refused',
    );
  });

  await t.test('POST /timeline/chain: switch one endpoint, rotate a leaf, refuse ambiguous bodies', async (t) => {
    const before = (await call('GET', '/state')).json().endpoints[0].chains.rsa.leafSha256;
    const rot = (await call('POST', '/timeline/chain', { endpoint: 'hub', rotate: 'leaf' })).json();
    t.equal(rot.state.endpoints[0].generation, 2);
    t.not(rot.state.endpoints[0].chains.rsa.leafSha256, before, 'a new leaf');
    const ecc = (await call('POST', '/timeline/chain', { endpoint: 'hub', chain: 'ecc-msecc2017' })).json();
    t.equal(ecc.state.endpoints[0].chains.ec.id, 'ecc-msecc2017', 'an ECC chain replaces the ECC chain');
    t.equal(ecc.state.endpoints[0].chains.rsa.id, 'g2');
    t.equal(
      (await call('POST', '/timeline/chain', { endpoint: 'hub', chain: 'g2', rotate: 'leaf' })).json().error.code,
      'HUBTLS_ADMIN_BAD_REQUEST',
    );
    t.equal(
      (await call('POST', '/timeline/chain', { endpoint: 'nope', rotate: 'leaf' })).json().error.code,
      'HUBTLS_UNKNOWN_ENDPOINT',
    );
  });

  await t.test('POST /timeline/clock: jump or advance; bad dates are 400', async (t) => {
    const to = '2030-01-01T00:00:00.000Z';
    const r = (await call('POST', '/timeline/clock', { to })).json();
    t.equal(r.state.clock.simulated, true);
    t.ok(Date.parse(r.state.clock.now) - Date.parse(to) < 60_000);
    const adv = (await call('POST', '/timeline/clock', { advanceSeconds: 86400 })).json();
    t.ok(Date.parse(adv.state.clock.now) >= Date.parse(to) + 86_400_000);
    t.equal((await call('POST', '/timeline/clock', { to: 'tomorrow' })).statusCode, 400);
    t.equal((await call('POST', '/timeline/clock', {})).json().error.code, 'HUBTLS_ADMIN_BAD_REQUEST');
    await call('POST', '/timeline/clock', { to: new Date().toISOString() });
  });

  await t.test('POST /timeline/profile: a real TLS 1.1 client passes after the switch to iothub-legacy', async (t) => {
    const r = await call('POST', '/timeline/profile', { endpoint: 'hub', profile: 'iothub-legacy' });
    t.equal(r.json().state.endpoints[0].profile, 'iothub-legacy');
    const s = await sClient(th.port, [...HUB, '-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
    t.ok(s.handshakeOk, s.output.slice(-400));
    const typo = (await call('POST', '/timeline/profile', { endpoint: 'hub', profile: 'iothub-2026' })).json();
    t.equal(typo.error.code, 'HUBTLS_UNKNOWN_PROFILE');
    await call('POST', '/timeline/profile', { endpoint: 'hub', profile: 'iothub-2025' });
  });

  await t.test('POST /timeline/drop closes open connections', async (t) => {
    const tls = await import('node:tls');
    const sock = tls.connect({
      host: '127.0.0.1',
      port: th.port,
      servername: 'myhub.azure-devices.net',
      rejectUnauthorized: false,
    });
    await new Promise((res) => sock.once('secureConnect', res));
    const closed = new Promise((res) => sock.once('close', res));
    sock.on('error', () => {});
    const r = (await call('POST', '/timeline/drop', { endpoint: 'hub' })).json();
    t.equal(r.dropped, 1);
    await closed;
    t.equal((await call('POST', '/timeline/drop', {})).json().dropped, 0);
  });

  await t.test('GET /certs: roots as PEM or DER, 404 for unknown roots and devices', async (t) => {
    const roots = (await call('GET', '/certs/roots')).json();
    t.ok(roots.some((r: { id: string }) => r.id === 'digicert-g2'));
    const pem = await call('GET', '/certs/roots/digicert-g2');
    t.equal(pem.headers['content-type'], 'application/x-pem-file');
    t.match(new X509Certificate(pem.body).subject, /CN=DigiCert Global Root G2/);
    const der = await call('GET', '/certs/roots/digicert-g3?format=der');
    t.match(new X509Certificate(der.rawPayload).subject, /DigiCert Global Root G3/);
    const missing = await call('GET', '/certs/roots/nope');
    t.equal(missing.statusCode, 404);
    t.equal(missing.json().error.code, 'HUBTLS_UNKNOWN_ROOT');
    // Device certificates need a device the scenario knows (test/integration/admin-input.test.ts).
    const unknown = await call('GET', '/certs/devices/dev-1');
    t.equal(unknown.statusCode, 404);
    t.equal(unknown.json().error.code, 'HUBTLS_UNKNOWN_DEVICE');
  });

  await t.test(
    'GET /metrics: Prometheus text with handshakes by outcome and profile, latency, connections',
    async (t) => {
      const tls = await import('node:tls');
      const sock = tls.connect({
        host: '127.0.0.1',
        port: th.port,
        servername: 'myhub.azure-devices.net',
        rejectUnauthorized: false,
      });
      await new Promise((res) => sock.once('secureConnect', res));
      t.teardown(() => void sock.destroy());
      const r = await call('GET', '/metrics');
      t.match(r.body, /hubtls_active_connections\{endpoint="hub"\} 1\n/, 'the held connection is counted');
      t.match(r.headers['content-type'], /text\/plain/);
      t.match(
        r.body,
        /hubtls_handshakes_total\{outcome="HUBTLS_ACCEPTED",profile="iothub-2025",endpoint="hub"\} [1-9]/,
      );
      t.match(
        r.body,
        /hubtls_handshakes_total\{outcome="HUBTLS_REFUSED_VERSION",profile="iothub-2025",endpoint="hub"\} 1/,
      );
      t.match(r.body, /hubtls_handshake_duration_seconds_bucket\{le="\+Inf",outcome="HUBTLS_ACCEPTED"\} [1-9]/);
      t.match(r.body, /hubtls_active_connections\{endpoint="dps"\} 0/);
    },
  );

  await t.test('GET /docs/json: OpenAPI with every route and the bearer scheme', async (t) => {
    const doc = (await call('GET', '/docs/json')).json();
    t.match(doc.openapi, /^3\./);
    t.same(doc.components.securitySchemes.bearer, {
      type: 'http',
      scheme: 'bearer',
      description: doc.components.securitySchemes.bearer.description,
    });
    for (const [method, url] of SECURED.filter(([, u]) => u !== '/')) {
      const path = url.replace('/digicert-g2', '/{id}').replace('/dev-1', '/{deviceId}');
      t.ok(doc.paths[path]?.[method.toLowerCase()], `${method} ${path} documented`);
    }
    t.ok(doc.paths['/timeline/migrate'].post.requestBody, 'bodies documented');
    const listed = doc.paths['/handshakes'].get.responses['200'].content['application/json'].schema;
    const handshake = listed.properties.handshakes.items;
    for (const f of [
      'hello',
      'negotiated',
      'chain',
      'clientCert',
      'mfl',
      'notes',
      'faults',
      'alertSent',
      'alertReceived',
    ]) {
      t.ok(handshake.properties[f], `the handshake event's ${f} is documented`);
    }
    t.ok(handshake.properties.hello.properties.ja4, 'down to the ClientHello view');
    t.ok(handshake.properties.faults.items.properties.explanation, 'and the faults that acted');
  });

  await t.test('GET /dashboard serves one self-contained page; / redirects keeping the token', async (t) => {
    const r = await call('GET', '/dashboard');
    t.match(r.headers['content-type'], /text\/html/);
    t.match(r.body, /<script type="module">[\s\S]*EventSource/);
    t.notMatch(r.body, /\/\*(STYLE|SCRIPT)\*\//);
    const root = await app.inject({ method: 'GET', url: `/?token=${TOKEN}` });
    t.equal(root.statusCode, 302);
    t.equal(root.headers.location, `/dashboard?token=${TOKEN}`);
  });

  await t.test('trigger, fault and reload validate their bodies; reload without the hub hook is a 501', async (t) => {
    t.equal(
      (await call('POST', '/timeline/trigger', {})).json().error.code,
      'HUBTLS_ADMIN_BAD_REQUEST',
      'step is required',
    );
    t.equal((await call('POST', '/timeline/fault', { probability: 2 })).statusCode, 400);
    t.equal(
      (await call('POST', '/timeline/fault', { endpoint: 'hub' })).json().error.code,
      'HUBTLS_ADMIN_BAD_REQUEST',
      'neither id nor fault',
    );
    t.equal(
      (await call('POST', '/timeline/trigger', { step: 'x' })).json().error.code,
      'HUBTLS_UNKNOWN_STEP',
      'the default scenario has no steps',
    );
    const r = await call('POST', '/scenario/reload', {});
    t.equal(r.statusCode, 501);
    t.equal(r.json().error.code, 'HUBTLS_ADMIN_NOT_AVAILABLE');
  });

  await t.test('unknown routes use the same error shape', async (t) => {
    const r = await call('GET', '/nope');
    t.equal(r.statusCode, 404);
    t.equal(r.json().error.code, 'HUBTLS_ADMIN_NOT_FOUND');
  });
});

t.test('GET /state shows the device registry and DPS enrollments, never a key', async (t) => {
  const { call } = await startAdminUnderTest(t, 'scenarios/devices.yaml');
  const r = await call('GET', '/state');
  const s = r.json();
  t.same(
    s.devices.map((d: { id: string; auth: string }) => [d.id, d.auth]),
    [
      ['sensor-sas', 'sas'],
      ['sensor-self', 'x509-thumbprint'],
      ['sensor-ca', 'x509-ca'],
    ],
  );
  t.equal(s.devices[0].connected, false);
  t.equal(s.provisioning.idScope, '0ne00000001');
  t.same(
    s.provisioning.enrollments.map((e: { id: string }) => e.id),
    ['factory', 'line-2'],
  );
  t.notMatch(
    r.body,
    /eZKHEOLEPwXNmaXD4rAngapktndTDq49SmGCDJbe9Qw=|7iXFFlrl5fZvkuPS2XAgNNAgLJn85EylM2zpqazTLA8=|PRIVATE KEY/,
    'no SAS key, group key or private key',
  );
  // A device the scenario knows gets its certificate (CA-signed: device cert + its CA) and key.
  const chain = (await call('GET', '/certs/devices/sensor-ca')).body;
  t.equal(chain.match(/BEGIN CERTIFICATE/g)?.length, 2, 'device cert + its CA');
  t.match(new X509Certificate(chain).subject, /CN=sensor-ca/);
  t.match((await call('GET', '/certs/devices/sensor-ca?part=key')).body, /BEGIN PRIVATE KEY/);
});
