/**
 * The hub core's service operations without a socket: identities (create, etag updates, bulk,
 * IoT Edge scopes), twins (merge, replace, etags, pushes through the device's link), direct methods
 * (bounds, offline, timeout, connect timeout) and the disabled-device refusal in the one auth path.
 */
import t from 'tap';
import { DeviceRegistry } from '../../src/core/registry.js';
import { bulkDevices, deleteDevice, getDevice, putDevice } from '../../src/core/registry-api.js';
import { deviceTarget, getTwin, patchTwinApi, replaceTwinApi } from '../../src/core/twin-api.js';
import { invokeMethod, readMethodCall } from '../../src/core/method-api.js';
import { etagMatches, twinEtag } from '../../src/core/identity.js';
import { authenticateDevice } from '../../src/core/auth.js';
import type { DeviceLink } from '../../src/core/links.js';

const NOW = new Date('2026-03-01T10:00:00Z');

function registry() {
  return new DeviceRegistry({ idScope: '0ne00000001', cas: [], devices: [], enrollments: [] }, () => NOW);
}

interface FakeLink extends DeviceLink {
  desiredSeen: Array<Record<string, unknown>>;
  methods: Array<{ name: string; rid: string; payload: unknown }>;
  closed: string[];
}

function fakeLink(subscribed = true): FakeLink {
  const l: FakeLink = {
    conn: 1,
    desiredSeen: [],
    methods: [],
    closed: [],
    method: (name, rid, payload) => (subscribed && l.methods.push({ name, rid, payload }), subscribed),
    desired: (patch) => (l.desiredSeen.push(patch), true),
    close: (reason) => void l.closed.push(reason),
  };
  return l;
}

const code = (r: { ok: boolean } & Partial<{ code: string; status: number }>) =>
  r.ok ? 'ok' : `${r.status} ${r.code}`;

t.test('identities: create, conflict, etag update, delete', async (t) => {
  const reg = registry();
  const c = putDevice(reg, 'd1', { deviceId: 'd1' }, undefined, NOW);
  t.ok(c.ok);
  if (!c.ok) return;
  t.equal(c.value.authentication.type, 'sas');
  t.ok(c.value.authentication.symmetricKey.primaryKey, 'generated key');
  t.equal(reg.get('d1')?.source, 'api');
  t.equal(code(putDevice(reg, 'd1', {}, undefined, NOW)), '409 DeviceAlreadyExists');
  t.equal(code(putDevice(reg, 'd1', {}, '"nope"', NOW)), '412 PreconditionFailed');
  t.equal(code(putDevice(reg, 'd2', {}, '*', NOW)), '404 DeviceNotFound', 'If-Match on a missing device');
  const u = putDevice(reg, 'd1', { status: 'disabled', statusReason: 'r' }, `"${c.value.etag}"`, NOW);
  t.ok(u.ok && u.value.etag !== c.value.etag && u.value.status === 'disabled');
  t.equal(code(putDevice(reg, 'd3', { deviceId: 'other' }, undefined, NOW)), '400 ArgumentInvalid');
  t.equal(code(putDevice(reg, 'd3', { authentication: { type: 'x' } }, undefined, NOW)), '400 ArgumentInvalid');
  t.equal(
    code(putDevice(reg, 'd3', { authentication: { symmetricKey: { primaryKey: 'short' } } }, undefined, NOW)),
    '400 ArgumentInvalid',
  );
  t.equal(code(putDevice(reg, 'bad/id', {}, undefined, NOW)), '400 ArgumentInvalid');
  t.equal(code(deleteDevice(reg, 'd1', '"nope"')), '412 PreconditionFailed');
  t.equal(deleteDevice(reg, 'd1', '*').status, 204);
  t.equal(code(getDevice(reg, 'd1')), '404 DeviceNotFound');
});

t.test('cloudToDeviceMessageCount is the depth of the device queue', async (t) => {
  const reg = registry();
  putDevice(reg, 'd1', {}, undefined, NOW);
  const count = () => {
    const g = getDevice(reg, 'd1');
    return g.ok ? g.value.cloudToDeviceMessageCount : -1;
  };
  t.equal(count(), 0);
  reg.sendC2D('d1', 'a');
  reg.sendC2D('d1', 'b');
  t.equal(count(), 2);
  const m = reg.c2d.receive('d1')!;
  reg.c2d.complete('d1', m.lockToken!);
  t.equal(count(), 1, 'a completed message leaves the queue');
});

t.test('a disabled device is refused by the one auth path, and a connected one is closed', async (t) => {
  const reg = registry();
  const c = putDevice(reg, 'd1', {}, undefined, NOW);
  if (!c.ok) return t.fail('create');
  const link = fakeLink();
  reg.links.attach('d1', link);
  const seen = getDevice(reg, 'd1');
  t.same(seen.ok && [seen.value.connectionState, seen.value.connectionStateUpdatedTime], [
    'Connected',
    NOW.toISOString(),
  ]);
  putDevice(reg, 'd1', { status: 'disabled' }, '*', NOW);
  t.equal(link.closed.length, 1, 'the connected device was closed');
  const v = authenticateDevice(reg, { deviceId: 'd1', hubHost: 'h', sas: 'x', now: NOW });
  t.same(v.ok ? undefined : [v.errorCode, v.outcome], [401002, 'HUBTLS_DEVICE_UNAUTHORIZED']);
  putDevice(reg, 'n1', { authentication: { type: 'none' } }, undefined, NOW);
  t.notOk(authenticateDevice(reg, { deviceId: 'n1', hubHost: 'h', now: NOW }).ok, 'type none never connects');
});

t.test('IoT Edge scopes and bulk import', async (t) => {
  const reg = registry();
  const e = putDevice(reg, 'edge', { capabilities: { iotEdge: true } }, undefined, NOW);
  if (!e.ok) return t.fail('edge');
  t.equal(e.value.deviceScope, `ms-azure-iot-edge://edge-${e.value.generationId}`);
  const leaf = putDevice(reg, 'leaf', { deviceScope: e.value.deviceScope }, undefined, NOW);
  t.same(leaf.ok && leaf.value.parentScopes, [e.value.deviceScope]);
  const b = bulkDevices(
    reg,
    [
      { id: 'leaf', importMode: 'create' },
      { id: 'b1', importMode: 'create' },
      { id: 'edge', importMode: 'deleteIfMatchETag', eTag: 'stale' },
      { id: 'ghost', importMode: 'delete' },
    ],
    NOW,
  );
  t.equal(b.status, 400);
  t.same(b.ok && b.value.errors.map((x) => [x.deviceId, x.errorCode]), [
    ['leaf', 'DeviceAlreadyExists'],
    ['edge', 'PreconditionFailed'],
    ['ghost', 'DeviceNotFound'],
  ]);
  t.ok(reg.get('b1'));
  t.equal(code(bulkDevices(reg, {}, NOW)), '400 ArgumentInvalid');
  t.equal(code(bulkDevices(reg, [{ id: 'x', importMode: 'merge' }], NOW)), '400 ArgumentInvalid');
});

t.test('twins: merge with null deletes, replace, etags, pushes', async (t) => {
  const reg = registry();
  putDevice(reg, 'd1', {}, undefined, NOW);
  const link = fakeLink();
  reg.links.attach('d1', link);
  const g = getTwin(reg, 'd1');
  if (!g.ok) return t.fail('twin');
  t.equal(g.value.etag, twinEtag(1));
  const p = patchTwinApi(
    deviceTarget(reg, 'd1'),
    { tags: { a: 1 }, properties: { desired: { x: 1, y: 2 } } },
    `"${g.value.etag}"`,
  );
  t.ok(p.ok);
  t.same(link.desiredSeen, [{ x: 1, y: 2, $version: 2 }], 'pushed with its $version');
  t.equal(code(patchTwinApi(deviceTarget(reg, 'd1'), { tags: {} }, `"${g.value.etag}"`)), '412 PreconditionFailed');
  patchTwinApi(deviceTarget(reg, 'd1'), { properties: { desired: { x: null } } }, '*');
  t.same(getTwin(reg, 'd1').ok && Object.keys(reg.get('d1')!.twin.desired).sort(), ['$version', 'y']);
  const r = replaceTwinApi(deviceTarget(reg, 'd1'), { tags: { b: 2 }, properties: { desired: { z: 3 } } }, undefined);
  t.same(r.ok && r.value.tags, { b: 2 });
  t.same(link.desiredSeen.at(-1), { y: null, z: 3, $version: 4 }, 'replace pushes the difference');
  t.equal(
    code(patchTwinApi(deviceTarget(reg, 'd1'), { properties: { reported: { a: 1 } } }, '*')),
    '400 ArgumentInvalid',
  );
  t.equal(code(patchTwinApi(deviceTarget(reg, 'nobody'), {}, undefined)), '404 DeviceNotFound');
  t.ok(etagMatches(undefined, 'e') && etagMatches('W/"e"', 'e') && !etagMatches('"f"', 'e'));
});

t.test('direct methods: bounds, offline, answer, timeout, connect timeout', async (t) => {
  const reg = registry();
  putDevice(reg, 'd1', {}, undefined, NOW);
  t.equal(code(readMethodCall({ methodName: 'm', responseTimeoutInSeconds: 1 }) as never), '400 ArgumentInvalid');
  t.equal(code(readMethodCall({ methodName: '' }) as never), '400 ArgumentInvalid');
  t.equal(code(await invokeMethod(reg, 'd1', { methodName: 'm' })), '404 DeviceNotOnline');
  t.equal(code(await invokeMethod(reg, 'zz', { methodName: 'm' })), '404 DeviceNotFound');
  const unsubscribed = fakeLink(false);
  reg.links.attach('d1', unsubscribed);
  t.equal(code(await invokeMethod(reg, 'd1', { methodName: 'm' })), '404 DeviceNotOnline', 'not subscribed');
  const link = fakeLink();
  reg.links.attach('d1', link);
  const call = invokeMethod(reg, 'd1', { methodName: 'm', payload: '' });
  const sent = link.methods[0]!;
  t.same([sent.name, sent.payload], ['m', '']);
  reg.links.respond('d1', sent.rid, { status: 200, payload: null });
  t.same(await call, { ok: true, status: 200, value: { status: 200, payload: null } });

  // The links' timers are unref'd (a hub's sockets keep it alive): hold the loop open while they run.
  const hold = setInterval(() => {}, 60_000);
  t.teardown(() => clearInterval(hold));
  const timedOut = await reg.links.invoke('d1', 'm', null, { responseTimeoutMs: 1 });
  t.equal(timedOut.failed, 'timeout');
  t.same(await reg.links.invoke('d1', 'm', null, 1).then((r) => r.status), 504, 'the numeric signature still works');

  reg.links.detach('d1', link);
  const waiting = reg.links.invoke('d1', 'late', 1, { connectTimeoutMs: 60_000 });
  const late = fakeLink();
  reg.links.attach('d1', late);
  await new Promise(setImmediate);
  const rid = late.methods[0]?.rid;
  t.ok(rid, 'the call went out once the device connected');
  reg.links.respond('d1', rid!, { status: 200, payload: 'ok' });
  t.same(await waiting, { status: 200, payload: 'ok' });

  const unready = fakeLink(false);
  reg.links.attach('d1', unready);
  const queued = reg.links.invoke('d1', 'after-subscribe', null, { connectTimeoutMs: 60_000 });
  const ready = fakeLink();
  unready.method = ready.method; // the device subscribes to methods on the same connection
  reg.links.ready('d1');
  await new Promise(setImmediate);
  t.equal(ready.methods[0]?.name, 'after-subscribe', 'a connected but unsubscribed device is waited for too');
  reg.links.respond('d1', ready.methods[0]!.rid, { status: 204, payload: null });
  t.same(await queued, { status: 204, payload: null });
});
