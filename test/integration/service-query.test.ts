/**
 * Device queries (`POST /devices/query`) driven by the real service SDK (`azure-iothub`
 * Registry.createQuery, nextAsTwin / next) against a running hub, with one device connected over
 * MQTT (the `mqtt` package, SNI `localhost`): WHERE on tags and connectionState, COUNT(), paging
 * followed to the end, devices.modules, and a refused query. Headers are read from plain HTTPS.
 */
import t from 'tap';
import { startTestHub, type TestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession, randomKey, type Trust } from '../helpers/devices.js';
import { serviceSdk } from '../helpers/azure-sdk.js';
import { sasMqttDevice } from '../helpers/mqtt-device.js';
import { serviceRequest, serviceToken } from '../helpers/service-rest.js';
import type { Right } from '../../src/core/policies.js';

const HUB = 'myhub.azure-devices.net';
const OWNER_KEY = randomKey();
const READER_KEY = randomKey();
const ALL: Right[] = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;
const READER = `HostName=${HUB};SharedAccessKeyName=registryRead;SharedAccessKey=${READER_KEY}`;

function scenario() {
  return {
    name: 'service-query',
    policies: [
      { name: 'iothubowner', primaryKey: OWNER_KEY, secondaryKey: randomKey(), rights: ALL },
      { name: 'registryRead', primaryKey: READER_KEY, secondaryKey: randomKey(), rights: ['RegistryRead'] },
      { name: 'service', primaryKey: randomKey(), secondaryKey: randomKey(), rights: ['ServiceConnect'] },
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

/** POST /devices/query as curl would send it. */
function rawQuery(
  th: TestHub,
  trust: Trust,
  query: unknown,
  headers: Record<string, string> = {},
  policy = ['iothubowner', OWNER_KEY],
) {
  const auth = serviceToken(HUB, policy[0]!, policy[1]!);
  const body = JSON.stringify({ query });
  return serviceRequest<unknown>({
    port: th.port,
    hub: HUB,
    ca: trust.g2,
    method: 'POST',
    path: '/devices/query',
    auth,
    body,
    headers,
  });
}

type Twin = { deviceId: string; moduleId?: string; tags: Record<string, unknown>; connectionState: string };
const ids = (twins: Twin[]) => twins.map((w) => (w.moduleId ? `${w.deviceId}/${w.moduleId}` : w.deviceId)).sort();

t.test('device queries with the azure-iothub SDK', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, scenario())]);
  const { registry } = serviceSdk(OWNER, { ca: trust.g2, port: th.port });

  // seven devices: q-1…q-7, sites A1 (odd) and B7 (even), q-3 connected over MQTT, modules on q-1
  const keys: Record<string, string> = {};
  for (let i = 1; i <= 7; i++) {
    const id = `q-${i}`;
    const d = (await registry.create({ deviceId: id })).responseBody as {
      authentication: { symmetricKey: { primaryKey: string } };
    };
    keys[id] = d.authentication.symmetricKey.primaryKey;
    await registry.updateTwin(id, { tags: { site: i % 2 ? 'A1' : 'B7', rack: { row: i } } }, '*');
  }
  await registry.addModule({ deviceId: 'q-1', moduleId: 'filter' } as never);
  await registry.addModule({ deviceId: 'q-1', moduleId: 'agent' } as never);
  await registry.addModule({ deviceId: 'q-2', moduleId: 'filter' } as never);
  const mark = th.events.length;
  const device = await sasMqttDevice(th.port, trust.g2, 'q-3', keys['q-3']!, 'localhost');
  t.teardown(() => device.endAsync());
  const connected = await nextSession(th, (e) => e.action === 'connect' && e.deviceId === 'q-3', mark);
  t.ok(connected.ok, connected.reason);

  const twins = async (sql: string, pageSize?: number) => {
    const q = registry.createQuery(sql, pageSize);
    return (await q.nextAsTwin()).result as unknown as Twin[];
  };

  await t.test('WHERE on connectionState and on tags', async (t) => {
    const online = await twins("SELECT * FROM devices WHERE connectionState = 'Connected'");
    t.same(ids(online), ['q-3'], 'the one device on MQTT');
    t.equal(online[0]!.connectionState, 'Connected');
    t.same(ids(await twins("SELECT * FROM devices WHERE connectionState <> 'Connected' AND tags.site = 'A1'")), [
      'q-1',
      'q-5',
      'q-7',
    ]);
    t.same(ids(await twins("select * from devices where tags.site = 'B7' and tags.rack.row >= 4")), ['q-4', 'q-6']);
    t.same(ids(await twins("SELECT * FROM devices WHERE deviceId IN ['q-2', 'q-9'] OR tags.rack.row = 7")), [
      'q-2',
      'q-7',
    ]);
    t.same(
      ids(await twins("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'q-') AND NOT is_defined(tags.site)")),
      [],
    );
    const one = (await twins("SELECT * FROM devices WHERE deviceId = 'q-4'"))[0]!;
    t.same(one.tags, { site: 'B7', rack: { row: 4 } }, 'the twin as GET /twins gives it');
  });

  await t.test('COUNT()', async (t) => {
    const q = registry.createQuery("SELECT COUNT() AS total FROM devices WHERE tags.site = 'A1'");
    const r = await q.next();
    t.same(r.result, [{ total: 4 }]);
    t.equal(q.hasMoreResults, false);
    const all = await registry.createQuery('SELECT COUNT() AS n FROM devices').next();
    t.same(all.result, [{ n: 7 }]);
  });

  await t.test('paging: a page size of 3, continuation followed to the end', async (t) => {
    const q = registry.createQuery("SELECT * FROM devices WHERE STARTSWITH(deviceId, 'q-')", 3);
    const seen: string[] = [];
    const sizes: number[] = [];
    while (q.hasMoreResults && sizes.length < 10) {
      const page = (await q.nextAsTwin()).result as unknown as Twin[];
      sizes.push(page.length);
      seen.push(...page.map((w) => w.deviceId));
    }
    t.same(sizes, [3, 3, 1], 'three pages');
    t.same(seen, ['q-1', 'q-2', 'q-3', 'q-4', 'q-5', 'q-6', 'q-7'], 'every device once, in order');

    const first = await rawQuery(th, trust, 'SELECT * FROM devices', { 'x-ms-max-item-count': '5' });
    t.equal(first.status, 200);
    t.equal(first.headers['x-ms-item-type'], 'twin');
    t.equal((first.body as unknown[]).length, 5);
    const token = first.headers['x-ms-continuation'] as string;
    t.ok(token, 'a continuation while more remain');
    const last = await rawQuery(th, trust, 'SELECT * FROM devices', {
      'x-ms-max-item-count': '5',
      'x-ms-continuation': token,
    });
    t.equal((last.body as unknown[]).length, 2);
    t.notOk('x-ms-continuation' in last.headers, 'none on the last page (the SDK reads its absence as the end)');
    const count = await rawQuery(th, trust, 'SELECT COUNT() AS n FROM devices');
    t.equal(count.headers['x-ms-item-type'], 'raw');
  });

  await t.test('devices.modules', async (t) => {
    t.same(ids(await twins('SELECT * FROM devices.modules')), ['q-1/agent', 'q-1/filter', 'q-2/filter']);
    t.same(ids(await twins("SELECT * FROM devices.modules WHERE moduleId = 'filter'")), ['q-1/filter', 'q-2/filter']);
    const n = await registry.createQuery("SELECT COUNT() AS n FROM devices.modules WHERE deviceId = 'q-1'").next();
    t.same(n.result, [{ n: 2 }]);
  });

  await t.test('rights: RegistryRead may query, ServiceConnect alone may not', async (t) => {
    const reader = serviceSdk(READER, { ca: trust.g2, port: th.port }).registry;
    t.same(
      ids((await reader.createQuery("SELECT * FROM devices WHERE deviceId = 'q-1'").nextAsTwin()).result as never),
      ['q-1'],
    );
    const svc = scenario().policies[2]!;
    const refused = await rawQuery(th, trust, 'SELECT * FROM devices', {}, [svc.name, svc.primaryKey]);
    t.equal(refused.status, 401);
    t.equal(refused.headers['iothub-errorcode'], 'IotHubUnauthorizedAccess');
  });

  await t.test('an unsupported or malformed query: 400 ArgumentInvalid naming the position', async (t) => {
    const err = await registry
      .createQuery('SELECT deviceId FROM devices GROUP BY tags.site')
      .nextAsTwin()
      .catch((e: unknown) => e);
    t.equal((err as Error).constructor.name, 'ArgumentError', 'the SDK raises ArgumentError (400)');
    t.match((err as Error).message, /expected \* or COUNT\(\).* found 'deviceId' at position 7/);
    const raw = await rawQuery(th, trust, "SELECT * FROM devices WHERE tags.site = 'A1");
    t.equal(raw.status, 400);
    t.equal(raw.headers['iothub-errorcode'], 'ArgumentInvalid');
    t.match(
      (raw.body as { Message: string }).Message,
      /^ErrorCode:ArgumentInvalid;invalid query: unterminated string at position 40/,
    );
    const badPage = await rawQuery(th, trust, 'SELECT * FROM devices', { 'x-ms-max-item-count': 'lots' });
    t.equal(badPage.status, 400);
    const badToken = await rawQuery(th, trust, 'SELECT * FROM devices', { 'x-ms-continuation': 'bm90IGEgdG9rZW4' });
    t.equal(badToken.status, 400);
    t.match((badToken.body as { Message: string }).Message, /x-ms-continuation/);
    const noQuery = await rawQuery(th, trust, 42);
    t.equal(noQuery.status, 400);
  });
});
