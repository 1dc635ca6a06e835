/**
 * The admin API acting as the cloud (issue 14): the device routes through inject (registry view,
 * add / remove, 404 naming the known ids, 409, 400 for bodies that do not match, OpenAPI), then a
 * real MQTT device (the `mqtt` package) that a client on a real socket drives through the API:
 * a method call and its answer, a method nobody answers (504), a desired patch, a C2D message with
 * properties, recent telemetry, and DELETE closing the device's connection.
 */
import { oneEndpoint } from '../helpers/hub.js';
import t from 'tap';
import { startAdminUnderTest, TOKEN, type AdminUnderTest } from '../helpers/admin.js';
import { exportedTrust, nextSession, randomKey } from '../helpers/devices.js';
import { sharedStore } from '../helpers/pki.js';
import { answerMethod, nextMessage, sasMqttDevice } from '../helpers/mqtt-device.js';

const KEY = randomKey();

const SCENARIO = {
  name: 'admin-devices',
  endpoints: oneEndpoint('iothub-2025', { after: 'mqtt' }).endpoints,
  devices: [
    { id: 'meter-1', auth: 'sas', primaryKey: KEY },
    { id: 'cam-1', auth: 'x509-ca' },
  ],
};

const code = (r: { json(): { error: { code: string } } }) => r.json().error.code;

t.test('device routes through inject', async (t) => {
  const { call, app, th } = await startAdminUnderTest(t, SCENARIO);

  await t.test('GET /devices: the registry view; GET /devices/{id} adds the twin', async (t) => {
    const list = (await call('GET', '/devices')).json();
    t.same(
      list.map((d: { id: string }) => d.id),
      ['meter-1', 'cam-1'],
    );
    t.match(list[0], {
      id: 'meter-1',
      auth: 'sas',
      source: 'scenario',
      connected: false,
      telemetryCount: 0,
      twinVersions: { desired: 1, reported: 1 },
    });
    t.notOk('primaryKey' in list[0] || 'twin' in list[0], 'no keys, no twin documents in the list');
    const one = (await call('GET', '/devices/cam-1')).json();
    t.same(one.twin, { desired: { $version: 1 }, reported: { $version: 1 } });
  });

  await t.test('an unknown device is a 404 naming it and the known ids, on every device route', async (t) => {
    const routes: Array<[Parameters<AdminUnderTest['call']>[0], string, unknown?]> = [
      ['GET', '/devices/nope'],
      ['DELETE', '/devices/nope'],
      ['PATCH', '/devices/nope/twin/desired', { a: 1 }],
      ['POST', '/devices/nope/methods/reboot', {}],
      ['POST', '/devices/nope/c2d', { body: 'x' }],
      ['GET', '/devices/nope/telemetry'],
    ];
    for (const [method, url, body] of routes) {
      const r = await call(method, url, body);
      t.equal(r.statusCode, 404, `${method} ${url}`);
      t.equal(code(r), 'HUBTLS_UNKNOWN_DEVICE');
      t.match(r.json().error.message, /no device "nope" in the registry; known: meter-1, cam-1/);
    }
  });

  await t.test(
    'POST /devices: generated keys, given keys, a hubtls-issued certificate; 409 when it exists',
    async (t) => {
      const sas = await call('POST', '/devices', { id: 'new-1', auth: { type: 'sas' } });
      t.equal(sas.statusCode, 201);
      const created = sas.json();
      t.match(created, { id: 'new-1', auth: 'sas', source: 'admin', connected: false });
      t.equal(Buffer.from(created.credentials.primaryKey, 'base64').length, 32, 'a generated 32-byte key');
      t.not(created.credentials.primaryKey, created.credentials.secondaryKey);
      t.equal(th.hub.runtime.devices.get('new-1')?.source, 'admin', 'in the registry every transport reads');

      const given = (await call('POST', '/devices', { id: 'new-2', auth: { type: 'sas', primaryKey: KEY } })).json();
      t.equal(given.credentials.primaryKey, KEY);

      const thumb = 'AB:'.repeat(19) + 'CD';
      const x = (
        await call('POST', '/devices', { id: 'new-3', auth: { type: 'x509-thumbprint', primaryThumbprint: thumb } })
      ).json();
      t.same(x.thumbprints, ['ab'.repeat(19) + 'cd'], 'normalized: lowercase, no colons');

      const self = (await call('POST', '/devices', { id: 'new-4', auth: { type: 'x509-thumbprint' } })).json();
      const issued = await th.hub.runtime.pki.deviceCert('new-4', { signer: 'self' });
      t.same(
        self.thumbprints,
        [issued.fingerprint256],
        'the self-signed certificate GET /certs/devices/new-4 hands out',
      );

      t.equal((await call('POST', '/devices', { id: 'new-5', auth: { type: 'x509-ca' } })).statusCode, 201);
      const again = await call('POST', '/devices', { id: 'meter-1', auth: { type: 'x509-ca' } });
      t.equal(again.statusCode, 409);
      t.equal(code(again), 'HUBTLS_DEVICE_EXISTS');
    },
  );

  await t.test('bodies that do not match are 400s, never coerced', async (t) => {
    const bad: Array<[Parameters<AdminUnderTest['call']>[0], string, unknown]> = [
      ['POST', '/devices', { id: 5, auth: { type: 'x509-ca' } }],
      ['POST', '/devices', { id: 'a/b', auth: { type: 'x509-ca' } }],
      ['POST', '/devices', { id: 'b-1', auth: { type: 'psk' } }],
      ['POST', '/devices', { id: 'b-1', auth: { type: 'x509-ca' }, extra: 1 }],
      ['POST', '/devices', { id: 'b-1', auth: { type: 'sas', primaryKey: 'not base64!' } }],
      [
        'POST',
        '/devices',
        { id: 'b-1', auth: { type: 'sas', primaryKey: Buffer.alloc(8).toString('base64') + 'AAAAAAAAAAAA' } },
      ],
      ['POST', '/devices', { id: 'b-1', auth: { type: 'x509-thumbprint', primaryThumbprint: 'abcd' } }],
      ['PATCH', '/devices/meter-1/twin/desired', {}],
      ['PATCH', '/devices/meter-1/twin/desired', [1]],
      ['PATCH', '/devices/meter-1/twin/desired', { $version: 3 }],
      ['POST', '/devices/meter-1/methods/reboot', { timeoutSeconds: '5' }],
      ['POST', '/devices/meter-1/methods/reboot', { payload: 1, extra: true }],
      ['POST', '/devices/meter-1/methods/re%2Fboot', {}],
      ['POST', '/devices/meter-1/c2d', { body: 42 }],
      ['POST', '/devices/meter-1/c2d', { body: 'x', properties: { n: 1 } }],
      ['POST', '/devices/meter-1/c2d', { body: 'x', properties: { '$.mid': 'mine' } }],
      ['POST', '/devices/meter-1/c2d', { body: '%%%', base64: true }],
      ['GET', '/devices/meter-1/telemetry?limit=0', undefined],
    ];
    for (const [method, url, body] of bad) {
      const r = await call(method, url, body);
      t.equal(r.statusCode, 400, `${method} ${url} ${JSON.stringify(body)}: ${r.body}`);
      t.equal(code(r), 'HUBTLS_ADMIN_BAD_REQUEST');
    }
  });

  await t.test(
    'an offline device: desired patch versioned but not delivered, method 404, C2D queued for later',
    async (t) => {
      const p = await call('PATCH', '/devices/meter-1/twin/desired', { interval: 30, gone: null });
      t.same(p.json(), { version: 2, delivered: false });
      const m = await call('POST', '/devices/meter-1/methods/reboot', {});
      t.equal(m.statusCode, 404);
      t.equal(code(m), 'HUBTLS_DEVICE_OFFLINE');
      t.match(m.json().error.message, /meter-1" is not connected \(IoT Hub: 404103\)/);
      const c = (await call('POST', '/devices/meter-1/c2d', { body: 'hi' })).json();
      t.same(Object.keys(c).sort(), ['messageId', 'queued']);
      t.match(c, { messageId: /^[0-9a-f-]{36}$/, queued: 1 }, 'kept in the device queue until it connects');
    },
  );

  await t.test('DELETE /devices/{id}; adding, removing and desired patches are announced as notices', async (t) => {
    t.same((await call('DELETE', '/devices/new-1')).json(), { id: 'new-1', deleted: true, disconnected: false });
    const notices = th.events.flatMap((e) =>
      e.type === 'notice' && String(e.what).startsWith('de') ? [`${e.what} ${String(e.deviceId)}`] : [],
    );
    t.same(notices, [
      'device-added new-1',
      'device-added new-2',
      'device-added new-3',
      'device-added new-4',
      'device-added new-5',
      'desired-patch meter-1',
      'device-removed new-1',
    ]);
    t.equal((await call('GET', '/devices/new-1')).statusCode, 404);
  });

  await t.test('bearer token on the new routes, and /docs/json lists them', async (t) => {
    const routes = [
      ['GET', '/devices'],
      ['POST', '/devices'],
      ['GET', '/devices/meter-1'],
      ['DELETE', '/devices/meter-1'],
      ['PATCH', '/devices/meter-1/twin/desired'],
      ['POST', '/devices/meter-1/methods/reboot'],
      ['POST', '/devices/meter-1/c2d'],
      ['GET', '/devices/meter-1/telemetry'],
    ] as const;
    for (const [method, url] of routes) {
      const r = await app.inject({
        method,
        url,
        headers: { authorization: 'Bearer wrong' },
        payload: method === 'GET' ? undefined : {},
      });
      t.equal(r.statusCode, 401, `${method} ${url}`);
      t.equal(code(r), 'HUBTLS_ADMIN_UNAUTHORIZED');
    }
    t.ok(th.hub.runtime.devices.get('meter-1'), 'nothing was done without the token');
    const paths = (await call('GET', '/docs/json')).json().paths;
    t.ok(paths['/devices'].get && paths['/devices'].post, '/devices GET, POST');
    t.ok(paths['/devices/{id}'].get && paths['/devices/{id}'].delete, '/devices/{id} GET, DELETE');
    t.ok(paths['/devices/{id}/twin/desired'].patch);
    t.ok(paths['/devices/{id}/methods/{name}'].post);
    t.ok(paths['/devices/{id}/c2d'].post);
    t.ok(paths['/devices/{id}/telemetry'].get);
    t.same(paths['/devices/{id}/c2d'].post.tags, ['devices']);
  });
});

t.test('a real MQTT device driven through the admin API over a real socket', async (t) => {
  const [{ app, th }, trust] = await Promise.all([startAdminUnderTest(t, SCENARIO), exportedTrust(), sharedStore()]);
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  const api = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const r = await fetch(`${base}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: await r.json() };
  };
  const dev = await sasMqttDevice(th.port, trust.g2, 'meter-1', KEY);
  t.teardown(() => dev.end(true));
  answerMethod(dev, 'reboot'); // and never answers `hang`

  await t.test('GET /devices shows it connected over MQTT', async (t) => {
    const d = (await api('GET', '/devices/meter-1')).json;
    t.match(d, { connected: true, transport: 'mqtt' });
  });

  await t.test("a method call answers the device's status and payload", async (t) => {
    const r = await api('POST', '/devices/meter-1/methods/reboot', { payload: { delay: 5 }, timeoutSeconds: 10 });
    t.equal(r.status, 200);
    t.same(r.json, { status: 200, payload: { reboot: { delay: 5 } } });
  });

  await t.test('a method the device does not answer in time is a 504', async (t) => {
    const asked = nextMessage(dev, /^\$iothub\/methods\/POST\/hang\//);
    const r = await api('POST', '/devices/meter-1/methods/hang', { timeoutSeconds: 0.3 });
    await asked;
    t.equal(r.status, 504);
    t.equal(r.json.error.code, 'HUBTLS_METHOD_TIMEOUT');
  });

  await t.test('a desired patch reaches the device with its version', async (t) => {
    const got = nextMessage(dev, /^\$iothub\/twin\/PATCH\/properties\/desired\//);
    const r = await api('PATCH', '/devices/meter-1/twin/desired', { interval: 30, mode: { eco: true } });
    t.same(r.json, { version: 2, delivered: true });
    const m = await got;
    t.match(m.topic, /\?\$version=2$/);
    t.same(JSON.parse(m.body), { interval: 30, mode: { eco: true }, $version: 2 });
  });

  await t.test('a C2D message reaches the device with its properties and message id', async (t) => {
    const got = nextMessage(dev, /^devices\/meter-1\/messages\/devicebound\//);
    const r = await api('POST', '/devices/meter-1/c2d', {
      body: Buffer.from('héllo').toString('base64'),
      base64: true,
      properties: { kind: 'cmd' },
    });
    t.equal(r.status, 200);
    t.type(r.json.queued, 'number');
    const m = await got;
    t.equal(m.body, 'héllo');
    const props = new URLSearchParams(m.topic.split('/devicebound/')[1]);
    t.equal(props.get('kind'), 'cmd');
    t.equal(props.get('$.mid'), r.json.messageId, 'the messageId answered is the one the device sees');
  });

  await t.test('recent telemetry, newest first, and the connected count in the list', async (t) => {
    for (const n of [1, 2, 3]) await dev.publishAsync('devices/meter-1/messages/events/', `m${n}`, { qos: 1 });
    const r = (await api('GET', '/devices/meter-1/telemetry?limit=2')).json;
    t.match(r, { deviceId: 'meter-1', total: 3 });
    t.same(
      r.messages.map((m: { body: string }) => m.body),
      ['m3', 'm2'],
    );
    t.ok(Date.parse(r.now) >= Date.parse(r.messages[0].at));
  });

  await t.test("DELETE closes the device's connection", async (t) => {
    const closed = new Promise<void>((resolve) => dev.once('close', () => resolve()));
    const r = await api('DELETE', '/devices/meter-1');
    t.same(r.json, { id: 'meter-1', deleted: true, disconnected: true });
    await closed;
    await nextSession(th, (e) => e.action === 'disconnect' && e.deviceId === 'meter-1');
    t.equal((await api('GET', '/devices/meter-1')).status, 404);
  });
});
