/**
 * Issue 14: IoT Hub's service REST API, driven by the real service SDK (`azure-iothub`: Registry,
 * Client.invokeDeviceMethod) against the real device SDK over MQTT. One listener: SNI
 * `myhub.azure-devices.net` reaches the `after: https` endpoint (the service API), SNI `localhost`
 * the MQTT endpoint the device dials through GatewayHostName. Error paths are plain HTTPS requests.
 */
import t, { type Test } from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import iothub from 'azure-iothub';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey, type Trust } from '../helpers/devices.js';
import { hubClient, moduleClient, serviceSdk, type DeviceClient } from '../helpers/azure-sdk.js';
import { needTool } from '../helpers/tools.js';
import { serviceRequest, serviceToken, type RestReply } from '../helpers/service-rest.js';
import type { Right } from '../../src/core/policies.js';

const HUB = 'myhub.azure-devices.net';
const OWNER_KEY = randomKey();
const READER_KEY = randomKey();
const ALL: Right[] = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;

type Answer = { send: (status: number, payload: unknown, cb: () => void) => void };

function scenario() {
  return {
    name: 'service-api',
    policies: [
      { name: 'iothubowner', primaryKey: OWNER_KEY, secondaryKey: randomKey(), rights: ALL },
      { name: 'registryRead', primaryKey: READER_KEY, secondaryKey: randomKey(), rights: ['RegistryRead'] },
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
  };
}

function token(policy: string, key: string): string {
  return serviceToken(HUB, policy, key);
}

/** A plain HTTPS request to the service API, as curl would send it. */
function raw(
  th: TestHub,
  trust: Trust,
  method: string,
  path: string,
  o: { body?: string; headers?: Record<string, string>; auth?: string } = {},
): Promise<RestReply> {
  const auth = o.auth ?? token('iothubowner', OWNER_KEY);
  return serviceRequest({
    port: th.port,
    hub: HUB,
    ca: trust.g2,
    method,
    path,
    auth,
    body: o.body,
    headers: o.headers,
  });
}

async function deviceOn(th: TestHub, trust: Trust, id: string, key: string): Promise<DeviceClient> {
  const client = await hubClient({
    connectionString: `HostName=${HUB};DeviceId=${id};SharedAccessKey=${key};GatewayHostName=localhost:${th.port}`,
    ca: trust.g2,
  });
  await client.open();
  return client;
}

/** The device JSON fields read here (the SDK's Device type leaves out the IoT Edge ones). */
interface DeviceDoc {
  deviceId: string;
  etag: string;
  generationId: string;
  status: string;
  statusReason: string | null;
  connectionState: string;
  capabilities: { iotEdge: boolean };
  authentication: { type: string; symmetricKey: { primaryKey: string; secondaryKey: string } };
  deviceScope?: string;
  parentScopes: string[];
}

interface TwinDoc {
  etag: string;
  connectionState: string;
  tags: Record<string, unknown>;
  properties: { desired: Record<string, unknown> & { $version: number } };
}

const doc = (r: { responseBody: unknown }) => r.responseBody as DeviceDoc;

function errorName(e: unknown): string {
  return (e as Error).constructor.name;
}

function iotError(t: Test, r: RestReply, status: number, code: string) {
  t.equal(r.status, status, `${code}: status ${status}`);
  t.equal(r.headers['iothub-errorcode'], code, `${code}: iothub-errorcode header`);
  t.match(r.body.Message, new RegExp(`^ErrorCode:${code};`), `${code}: Message starts with its ErrorCode`);
  t.match(r.body.ExceptionMessage, /^Tracking ID:[0-9a-f]+-G:0-TimeStamp:\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d$/);
}

t.test('IoT Hub service API with the azure-iothub SDK', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, scenario())]);
  const devices = th.hub.runtime.devices;
  const { registry, client: service } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });

  await t.test('device identities: create with generated keys, get, update with etags, list, delete', async (t) => {
    const created = doc(await registry.create({ deviceId: 'thermo-1' }));
    t.equal(created.deviceId, 'thermo-1');
    t.equal(created.status, 'enabled');
    t.equal(created.authentication?.type, 'sas');
    t.match(created.authentication?.symmetricKey?.primaryKey, /^[A-Za-z0-9+/]{43}=$/, 'primary key generated');
    t.match(created.authentication?.symmetricKey?.secondaryKey, /^[A-Za-z0-9+/]{43}=$/, 'secondary key generated');
    t.match(created.generationId, /^\d{18}$/);
    t.equal(created.connectionState, 'Disconnected');
    t.same(created.capabilities, { iotEdge: false });
    t.equal(devices.get('thermo-1')?.source, 'api', 'in the registry every transport reads');

    const got = doc(await registry.get('thermo-1'));
    t.equal(got.etag, created.etag);
    t.equal(got.authentication?.symmetricKey?.primaryKey, created.authentication?.symmetricKey?.primaryKey);

    const again = await registry.create({ deviceId: 'thermo-1' }).catch((e: unknown) => e);
    t.equal(errorName(again), 'DeviceAlreadyExistsError', 'create of an existing id: 409 DeviceAlreadyExists');

    const updated = doc(await registry.update({ ...got, statusReason: 'maintenance' } as never));
    t.equal(updated.statusReason, 'maintenance');
    t.not(updated.etag, got.etag, 'an update changes the etag');
    t.equal(updated.authentication?.symmetricKey?.primaryKey, created.authentication?.symmetricKey?.primaryKey);

    const stale = await raw(th, trust, 'PUT', '/devices/thermo-1', {
      body: JSON.stringify({ deviceId: 'thermo-1' }),
      headers: { 'if-match': `"${got.etag}"` },
    });
    iotError(t, stale, 412, 'PreconditionFailed');
    t.match(stale.body.Message, /^ErrorCode:PreconditionFailed;/);

    const list = (await registry.list()).responseBody;
    t.ok(
      list.some((d) => d.deviceId === 'thermo-1'),
      'listed',
    );

    await registry.create({ deviceId: 'gone-1' });
    await registry.delete('gone-1');
    const missing = await registry.get('gone-1').catch((e: unknown) => e);
    t.equal(errorName(missing), 'DeviceNotFoundError', 'deleted: get is 404 DeviceNotFound');
    t.notOk(devices.get('gone-1'));
  });

  await t.test('bulk: addDevices with per-device errors', async (t) => {
    const ok = (await registry.addDevices([{ deviceId: 'bulk-1' }, { deviceId: 'bulk-2' }])).responseBody;
    t.same(ok, { isSuccessful: true, errors: [], warnings: [] });
    const partial = await registry
      .addDevices([{ deviceId: 'bulk-1' }, { deviceId: 'bulk-3' }])
      .catch((e: unknown) => e);
    t.equal(errorName(partial), 'ArgumentError', 'a partial failure is 400');
    const body = JSON.parse(
      (partial as { responseBody: string }).responseBody,
    ) as iothub.Registry.BulkRegistryOperationResult;
    t.equal(body.isSuccessful, false);
    t.same(
      body.errors.map((e) => [e.deviceId, e.errorCode]),
      [['bulk-1', 'DeviceAlreadyExists']],
    );
    t.ok(devices.get('bulk-3'), 'the other entry was created');
    const removed = (await registry.removeDevices([{ deviceId: 'bulk-1' }, { deviceId: 'bulk-2' }], true)).responseBody;
    t.equal(removed.isSuccessful, true);
    t.notOk(devices.get('bulk-2'));
  });

  await t.test('IoT Edge: deviceScope assigned, a leaf device gets parentScopes', async (t) => {
    const edge = doc(await registry.create({ deviceId: 'edge-1', capabilities: { iotEdge: true } }));
    t.match(edge.deviceScope, new RegExp(`^ms-azure-iot-edge://edge-1-${edge.generationId}$`));
    const leaf = doc(await registry.create({ deviceId: 'leaf-1', deviceScope: edge.deviceScope } as never));
    t.equal(leaf.deviceScope, edge.deviceScope);
    t.same(leaf.parentScopes, [edge.deviceScope]);
  });

  await t.test('twins and methods reach a device on MQTT', async (t) => {
    const dev = doc(await registry.create({ deviceId: 'pump-1' }));
    const client = await deviceOn(th, trust, 'pump-1', dev.authentication!.symmetricKey!.primaryKey!);
    t.teardown(() => client.close());
    client.onDeviceMethod('echo', (req: { payload: unknown }, res: Answer) =>
      res.send(200, { got: req.payload }, () => {}),
    );
    client.onDeviceMethod('text', (_req: unknown, res: Answer) => res.send(201, 'done', () => {}));
    await nextSession(th, (e) => e.deviceId === 'pump-1' && e.detail?.filter === '$iothub/methods/POST/#');
    for (const payload of [{ delay: 5 }, 'now', null, '']) {
      const r = (await service.invokeDeviceMethod('pump-1', { methodName: 'echo', payload })).result;
      t.same(r, { status: 200, payload: { got: payload } }, `payload ${JSON.stringify(payload)}`);
    }
    t.same((await service.invokeDeviceMethod('pump-1', { methodName: 'text' })).result, {
      status: 201,
      payload: 'done',
    });

    const twin = await client.getTwin();
    const pushed = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.interval === 30 && resolve(d)),
    );
    await nextSession(
      th,
      (e) => e.deviceId === 'pump-1' && e.detail?.filter === '$iothub/twin/PATCH/properties/desired/#',
    );
    const before = (await registry.getTwin('pump-1')).responseBody as unknown as TwinDoc;
    t.equal(before.connectionState, 'Connected');
    const after = (
      await registry.updateTwin(
        'pump-1',
        { tags: { site: 'B7' }, properties: { desired: { interval: 30, mode: 'eco' } } },
        before.etag,
      )
    ).responseBody;
    t.equal((await pushed).interval, 30, 'the desired patch reached the device');
    t.same(after.tags, { site: 'B7' });
    t.equal(after.properties.desired.interval, 30);
    t.ok(after.properties.desired.$version > before.properties.desired.$version);
    t.not(after.etag, before.etag);

    const deleted = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.mode === null && resolve(d)),
    );
    await registry.updateTwin('pump-1', { properties: { desired: { mode: null } } }, '*');
    await deleted;
    const now = (await registry.getTwin('pump-1')).responseBody as unknown as TwinDoc;
    t.notOk('mode' in now.properties.desired, 'null deleted the desired property');
    const stale = await registry.updateTwin('pump-1', { tags: { x: 1 } }, before.etag).catch((e: unknown) => e);
    t.equal(errorName(stale), 'InvalidEtagError', 'a stale twin etag is 412');
  });

  await t.test('a disabled device is refused at connect (MQTT and HTTPS)', async (t) => {
    const dev = doc(await registry.create({ deviceId: 'off-1', status: 'disabled' }));
    const key = dev.authentication!.symmetricKey!.primaryKey!;
    const mark = th.events.length;
    const err = await deviceOn(th, trust, 'off-1', key).then(
      (c) => (void c.close(), undefined),
      (e: unknown) => e,
    );
    t.ok(err, 'the device SDK could not open');
    const refused = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === 'off-1', mark);
    t.equal(refused.status, 5, 'CONNACK 5 not authorized');
    t.equal(refused.errorCode, 401002);
    const sas = iothub.SharedAccessSignature.create(
      `${HUB}/devices/off-1`,
      '',
      key,
      String(Math.floor(Date.now() / 1000) + 600),
    )
      .toString()
      .replace('&skn=', '');
    const http = await raw(th, trust, 'POST', '/devices/off-1/messages/events', { body: '{}', auth: sas });
    t.equal(http.status, 401);
    t.equal(http.headers['iothub-errorcode'], 'IotHubUnauthorizedAccess');
  });

  await t.test('errors as IoT Hub answers them', async (t) => {
    iotError(t, await raw(th, trust, 'GET', '/devices/nobody'), 404, 'DeviceNotFound');
    iotError(t, await raw(th, trust, 'GET', '/twins/nobody'), 404, 'DeviceNotFound');
    iotError(t, await raw(th, trust, 'PUT', '/devices/bad-1', { body: '{"deviceId":' }), 400, 'ArgumentInvalid');
    iotError(t, await raw(th, trust, 'PATCH', '/twins/thermo-1', { body: '[1]' }), 400, 'ArgumentInvalid');
    iotError(
      t,
      await raw(th, trust, 'PATCH', '/twins/thermo-1', { body: '{}', headers: { 'if-match': '"AAAAAAAAAAA="' } }),
      412,
      'PreconditionFailed',
    );
    const offline = await raw(th, trust, 'POST', '/twins/thermo-1/methods', { body: '{"methodName":"reboot"}' });
    iotError(t, offline, 404, 'DeviceNotOnline');
    t.match(offline.body.Message, /^ErrorCode:DeviceNotOnline;/);
    const reader = token('registryRead', READER_KEY);
    t.equal((await raw(th, trust, 'GET', '/devices/thermo-1', { auth: reader })).status, 200, 'RegistryRead may read');
    iotError(
      t,
      await raw(th, trust, 'DELETE', '/devices/thermo-1', { auth: reader, headers: { 'if-match': '*' } }),
      401,
      'IotHubUnauthorizedAccess',
    );
    iotError(
      t,
      await raw(th, trust, 'GET', '/devices', { auth: 'SharedAccessSignature sr=x&sig=y&se=1' }),
      401,
      'IotHubUnauthorizedAccess',
    );
    const sdkOffline = await service.invokeDeviceMethod('thermo-1', { methodName: 'reboot' }).catch((e: unknown) => e);
    t.match((sdkOffline as { responseBody?: string }).responseBody, /DeviceNotOnline/);
  });

  await t.test('connectTimeoutInSeconds: the call waits for the device to connect and subscribe', async (t) => {
    const dev = doc(await registry.create({ deviceId: 'late-1' }));
    const call = service.invokeDeviceMethod('late-1', { methodName: 'wake', payload: 1, connectTimeoutInSeconds: 60 });
    const client = await hubClient({
      connectionString: `HostName=${HUB};DeviceId=late-1;SharedAccessKey=${dev.authentication.symmetricKey.primaryKey};GatewayHostName=localhost:${th.port}`,
      ca: trust.g2,
    });
    t.teardown(() => client.close());
    client.onDeviceMethod('wake', (req: { payload: unknown }, res: Answer) =>
      res.send(200, { woke: req.payload }, () => {}),
    );
    await client.open();
    t.same((await call).result, { status: 200, payload: { woke: 1 } });
  });

  await t.test('a device that does not answer in time: 504 GatewayTimeout', async (t) => {
    const dev = doc(await registry.create({ deviceId: 'mute-1' }));
    const client = await deviceOn(th, trust, 'mute-1', dev.authentication!.symmetricKey!.primaryKey!);
    t.teardown(() => client.close());
    client.onDeviceMethod('hang', () => {});
    await nextSession(th, (e) => e.deviceId === 'mute-1' && e.detail?.filter === '$iothub/methods/POST/#');
    const r = await raw(th, trust, 'POST', '/twins/mute-1/methods', {
      body: JSON.stringify({ methodName: 'hang', responseTimeoutInSeconds: 5 }),
    });
    iotError(t, r, 504, 'GatewayTimeout');
  });

  await t.test('modules: identities, module twin pushed to the module on MQTT, module method', async (t) => {
    await registry.create({ deviceId: 'gw-1', capabilities: { iotEdge: true } } as never);
    const mod = (await registry.addModule({ deviceId: 'gw-1', moduleId: 'filter' } as never))
      .responseBody as unknown as {
      moduleId: string;
      etag: string;
      authentication: { symmetricKey: { primaryKey: string } };
    };
    t.equal(mod.moduleId, 'filter');
    const again = await registry.addModule({ deviceId: 'gw-1', moduleId: 'filter' } as never).catch((e: unknown) => e);
    t.equal(errorName(again), 'DeviceAlreadyExistsError', '409 for an existing module');
    t.same(
      (await registry.getModulesOnDevice('gw-1')).responseBody.map((m) => m.moduleId),
      ['filter'],
    );

    const client = await moduleClient(
      `HostName=${HUB};DeviceId=gw-1;ModuleId=filter;SharedAccessKey=${mod.authentication.symmetricKey.primaryKey};GatewayHostName=localhost:${th.port}`,
      trust.g2,
    );
    t.teardown(() => client.close());
    await client.open();
    const connect = await nextSession(th, (e) => e.action === 'connect' && e.detail?.moduleId === 'filter');
    t.ok(connect.ok, connect.reason);
    client.onMethod('ping', ((req: { payload: unknown }, res: Answer) =>
      res.send(200, { pong: req.payload }, () => {})) as never);
    await nextSession(th, (e) => e.deviceId === 'gw-1' && e.detail?.filter === '$iothub/methods/POST/#');
    const answer = await service.invokeDeviceMethod('gw-1', 'filter', { methodName: 'ping', payload: 7 });
    t.same(answer.result, { status: 200, payload: { pong: 7 } }, 'module method answered by the module');

    const twin = await client.getTwin();
    const pushed = new Promise<Record<string, unknown>>((resolve) =>
      twin.on('properties.desired', (d: Record<string, unknown>) => d.threshold === 9 && resolve(d)),
    );
    await nextSession(
      th,
      (e) => e.deviceId === 'gw-1' && e.detail?.filter === '$iothub/twin/PATCH/properties/desired/#',
    );
    const before = (await registry.getModuleTwin('gw-1', 'filter')).responseBody as unknown as TwinDoc;
    await registry.updateModuleTwin('gw-1', 'filter', { properties: { desired: { threshold: 9 } } }, before.etag);
    t.equal((await pushed).threshold, 9, 'the module got its desired patch');
    t.equal(devices.get('gw-1')?.twin.desired.threshold, undefined, 'the device twin is untouched');

    // Closed first: a deleted module's connection is dropped, and the SDK would keep retrying it.
    await client.close();
    await registry.removeModule('gw-1', 'filter');
    const gone = await raw(th, trust, 'GET', '/devices/gw-1/modules/filter');
    iotError(t, gone, 404, 'ModuleNotFound');
  });

  await t.test("curl, as Microsoft's REST reference writes the calls", async (t) => {
    if (!needTool(t, 'curl', 'curl')) return;
    const ca = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-curl-')), 'root.pem');
    writeFileSync(ca, trust.g2);
    const curl = async (method: string, route: string, body?: string, headers: string[] = []) => {
      const args = ['-sS', '--cacert', ca, '--resolve', `${HUB}:${th.port}:127.0.0.1`, '-X', method];
      for (const h of [
        `Authorization: ${token('iothubowner', OWNER_KEY)}`,
        'Content-Type: application/json',
        ...headers,
      ])
        args.push('-H', h);
      if (body) args.push('--data', body);
      args.push('-w', '\n%{http_code}', `https://${HUB}:${th.port}${route}?api-version=2021-04-12`);
      const { stdout } = await promisify(execFile)('curl', args);
      const lines = stdout.trimEnd().split('\n');
      const status = Number(lines.pop());
      return { status, body: lines.join('\n') };
    };
    const created = await curl('PUT', '/devices/curl-1', '{"deviceId":"curl-1"}');
    t.equal(created.status, 200);
    t.equal((JSON.parse(created.body) as DeviceDoc).authentication.type, 'sas');
    const twin = await curl('PATCH', '/twins/curl-1', '{"tags":{"bench":"curl"}}', ['If-Match: *']);
    t.same((JSON.parse(twin.body) as TwinDoc).tags, { bench: 'curl' });
    t.equal((await curl('DELETE', '/devices/curl-1', undefined, ['If-Match: *'])).status, 204);
    const gone = await curl('GET', '/devices/curl-1');
    t.equal(gone.status, 404);
    t.match(gone.body, /"Message":"ErrorCode:DeviceNotFound;/);
  });
});

t.test("a module from the scenario's devices[].modules connects with its printed connection string", async (t) => {
  const MOD = randomKey();
  const [trust, th] = await Promise.all([
    exportedTrust(),
    startTestHub(t, {
      ...scenario(),
      devices: [{ id: 'gw-2', auth: 'sas', primaryKey: randomKey(), modules: [{ id: 'edge-agent', primaryKey: MOD }] }],
    }),
  ]);
  const client = await moduleClient(
    `HostName=${HUB};DeviceId=gw-2;ModuleId=edge-agent;SharedAccessKey=${MOD};GatewayHostName=localhost:${th.port}`,
    trust.g2,
  );
  t.teardown(() => client.close());
  await client.open();
  const connect = await nextSession(th, (e) => e.action === 'connect' && e.detail?.moduleId === 'edge-agent');
  t.ok(connect.ok, connect.reason);
  const { registry } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });
  const listed = (await registry.getModulesOnDevice('gw-2')).responseBody.map((m) => m.moduleId);
  t.same(listed, ['edge-agent'], 'the service API lists it');
});
