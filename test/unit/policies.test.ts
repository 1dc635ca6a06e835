/**
 * Shared access policies: service SAS tokens made by the service SDK's own signer (azure-iothub)
 * judged as IoT Hub judges them, by the scenario clock; the `policies:` block's validation; the
 * default iothubowner keys kept in the certs folder.
 */
import t from 'tap';
import fs from 'node:fs/promises';
import path from 'node:path';
import iothub from 'azure-iothub';
import azureCommon from 'azure-iot-common';
import { DEFAULT_POLICY, PolicyTable, RIGHTS, type PolicySpec } from '../../src/core/policies.js';
import { defaultPolicy, POLICY_KEYS_FILE } from '../../src/core/policy-keys.js';
import { DeviceRegistry } from '../../src/core/registry.js';
import { authenticateDevice } from '../../src/core/auth.js';
import { compileDevices } from '../../src/core/compile.js';
import { PkiStore } from '../../src/pki/store.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { problems as problemsIn, scenarioText } from '../helpers/scenario-problems.js';
import { afterModeNames } from '../../src/after/registry.js';
import { randomKey } from '../helpers/devices.js';
import { tempDir } from '../helpers/pki.js';

const HUB = 'myhub.azure-devices.net';
const HOUR = 3600;
/** The scenario clock: fixed, far from the real time, so real-time checks would fail. */
const NOW = new Date('2031-05-04T10:00:00Z');
const nowS = NOW.getTime() / 1000;

const owner: PolicySpec = {
  name: 'iothubowner',
  primaryKey: randomKey(),
  secondaryKey: randomKey(),
  rights: [...RIGHTS],
};
const reader: PolicySpec = {
  name: 'registryRead',
  primaryKey: randomKey(),
  secondaryKey: randomKey(),
  rights: ['RegistryRead'],
};
const table = new PolicyTable([owner, reader], () => NOW);

/** A token as the service SDK makes it from a connection string's parts. */
const sdkToken = (p: PolicySpec, key: string, expiry = nowS + HOUR, host = HUB) =>
  iothub.SharedAccessSignature.create(host, p.name, key, String(expiry)).toString();

const refusedFor = (reason: RegExp) => ({
  ok: false,
  status: 401,
  errorCode: 401002,
  code: 'IotHubUnauthorizedAccess',
  reason,
});

t.test('a token the service SDK signed with either key is accepted for each right the policy has', async (t) => {
  for (const right of RIGHTS)
    t.same(table.authorize(sdkToken(owner, owner.primaryKey), HUB, right), { ok: true, policy: 'iothubowner' });
  t.same(table.authorize(sdkToken(owner, owner.secondaryKey), HUB, 'ServiceConnect'), {
    ok: true,
    policy: 'iothubowner',
  });
  t.same(table.authorize(sdkToken(reader, reader.secondaryKey), HUB, 'RegistryRead'), {
    ok: true,
    policy: 'registryRead',
  });
});

t.test('the token a Registry made from a connection string is accepted', async (t) => {
  const cs = `HostName=${HUB};SharedAccessKeyName=${owner.name};SharedAccessKey=${owner.primaryKey}`;
  const parsed = iothub.ConnectionString.parse(cs);
  const token = azureCommon.SharedAccessSignature.create(
    parsed.HostName!,
    parsed.SharedAccessKeyName!,
    parsed.SharedAccessKey!,
    String(nowS + HOUR),
  ).toString();
  t.same(table.authorize(token, HUB, 'RegistryWrite'), { ok: true, policy: 'iothubowner' });
});

t.test('refusals: 401 / 401002 IotHubUnauthorizedAccess, with the exact reason', async (t) => {
  const good = sdkToken(owner, owner.primaryKey);
  t.match(table.authorize(undefined, HUB, 'RegistryRead'), refusedFor(/no Authorization header/));
  t.match(table.authorize('Bearer abc', HUB, 'RegistryRead'), refusedFor(/not a SharedAccessSignature/));
  const device = azureCommon.SharedAccessSignature.create(`${HUB}/devices/d1`, '', owner.primaryKey, String(nowS + 60));
  t.match(table.authorize(device.toString(), HUB, 'RegistryRead'), refusedFor(/has no skn/));
  const unknown = sdkToken({ ...owner, name: 'iothubownr' }, owner.primaryKey);
  t.match(
    table.authorize(unknown, HUB, 'RegistryRead'),
    refusedFor(
      /unknown shared access policy 'iothubownr' \(did you mean "iothubowner"\?\); this hub has: iothubowner, registryRead/,
    ),
  );
  t.match(
    table.authorize(sdkToken(owner, randomKey()), HUB, 'RegistryRead'),
    refusedFor(/signature does not match the primary or secondary key of policy 'iothubowner'/),
  );
  t.match(
    table.authorize(sdkToken(owner, reader.primaryKey), HUB, 'RegistryRead'),
    refusedFor(/signature does not match/),
    "another policy's key",
  );
  t.match(
    table.authorize(sdkToken(owner, owner.primaryKey, nowS + HOUR, 'otherhub.azure-devices.net'), HUB, 'RegistryRead'),
    refusedFor(/for resource 'otherhub\.azure-devices\.net', not this hub 'myhub\.azure-devices\.net' \(sr mismatch\)/),
  );
  t.match(
    table.authorize(sdkToken(owner, owner.primaryKey, nowS + HOUR, `${HUB}.evil.example`), HUB, 'RegistryRead'),
    refusedFor(/sr mismatch/),
    'a host that only starts with the hub host',
  );
  t.match(
    table.authorize(sdkToken(reader, reader.primaryKey), HUB, 'RegistryWrite'),
    refusedFor(/policy 'registryRead' lacks the RegistryWrite right \(it has RegistryRead\)/),
  );
  t.match(
    table.authorize(good.replace(/sig=[^&]+/, 'sig=%%%'), HUB, 'RegistryRead'),
    refusedFor(/not a SharedAccessSignature/),
  );
});

t.test('sr: any case of the hub host, and a path under it (device-scoped tokens)', async (t) => {
  t.same(table.authorize(sdkToken(owner, owner.primaryKey, nowS + HOUR, HUB.toUpperCase()), HUB, 'ServiceConnect'), {
    ok: true,
    policy: 'iothubowner',
  });
  t.same(table.authorize(sdkToken(owner, owner.primaryKey, nowS + HOUR, `${HUB}/devices/d1`), HUB, 'DeviceConnect'), {
    ok: true,
    policy: 'iothubowner',
  });
});

t.test('expiry by the scenario clock, not the real one', async (t) => {
  const real = Math.floor(Date.now() / 1000);
  // Valid for an hour of real time, but the scenario clock is years ahead.
  t.match(
    table.authorize(sdkToken(owner, owner.primaryKey, real + HOUR), HUB, 'RegistryRead'),
    refusedFor(/SAS token expired at .* \(scenario time 2031-05-04T10:00:00\.000Z\)/),
  );
  t.match(table.authorize(sdkToken(owner, owner.primaryKey, nowS), HUB, 'RegistryRead'), refusedFor(/expired at/));
  // Long expired in real time, valid at an earlier scenario time.
  const past = new PolicyTable([owner], () => new Date('2001-01-01T00:00:00Z'));
  t.same(past.authorize(sdkToken(owner, owner.primaryKey, real - HOUR), HUB, 'RegistryRead'), {
    ok: true,
    policy: 'iothubowner',
  });
  let clock = NOW;
  const moving = new PolicyTable([owner], () => clock);
  const token = sdkToken(owner, owner.primaryKey, nowS + 60);
  t.ok(moving.authorize(token, HUB, 'RegistryRead').ok);
  clock = new Date(NOW.getTime() + 61_000);
  t.match(moving.authorize(token, HUB, 'RegistryRead'), refusedFor(/expired/), 'the clock is read at each check');
});

t.test('get and list return copies', async (t) => {
  t.same(
    table.list().map((p) => p.name),
    ['iothubowner', 'registryRead'],
  );
  t.same(table.get('registryRead'), reader);
  t.equal(table.get('nope'), undefined);
  table.get('registryRead')!.rights.push('RegistryWrite');
  t.same(table.get('registryRead')!.rights, ['RegistryRead'], 'a caller cannot widen a policy');
});

// ---- the scenario block ----

const ctx = { chainIds: ['g2'], afterModes: afterModeNames() };
const KEY = 'c2VjcmV0LWtleS1mb3ItdGVzdHM=';
const HEAD = `name: p
endpoints:
  - { name: hub, kind: iothub, hostnames: [${HUB}], profile: iothub-2025, chain: g2, after: mqtt }
`;

const write = scenarioText;
const problems = (text: string) => problemsIn(text, ctx);

t.test('policies: block compiles into the registry table', async (t) => {
  const file = write(`${HEAD}policies:
  - { name: service, primaryKey: ${KEY}, secondaryKey: ${KEY}, rights: [ServiceConnect, RegistryRead] }
`);
  const s = compileScenario(loadScenario(file, ctx));
  t.same(s.devices.policies, [
    { name: 'service', primaryKey: KEY, secondaryKey: KEY, rights: ['ServiceConnect', 'RegistryRead'] },
  ]);
  const reg = new DeviceRegistry(s.devices, () => NOW);
  t.same(
    reg.policies.list().map((p) => p.name),
    ['service'],
  );
  t.equal(compileScenario(loadScenario(write(HEAD), ctx)).devices.policies, undefined, 'no block: default at load');
});

t.test('a malformed policies: block names the file, the field and what was expected', async (t) => {
  const msg = problems(`${HEAD}policies:
  - { name: svc, primaryKey: "not base64!", secondaryKey: ${KEY}, rights: [ServiceConnect] }
  - { name: two, primaryKey: ${KEY}, rights: [ServiceConect] }
  - { name: three, primaryKey: ${KEY}, secondaryKey: ${KEY}, rights: [] }
  - { name: "bad name", primaryKey: ${KEY}, secondaryKey: ${KEY}, rights: [RegistryRead, RegistryRead] }
`);
  t.match(msg, /scenario\.yaml/);
  t.match(msg, /policies\[0\]\.primaryKey \(line 5\): found "not base64!", expected text matching .*base64 key/);
  t.match(msg, /policies\[1\]\.secondaryKey \(line 6\): expected this field/);
  t.match(msg, /policies\[1\]\.rights\[0\] \(line 6\): found "ServiceConect", expected .*ServiceConnect/);
  t.match(msg, /policies\[2\]\.rights \(line 7\): .*expected a list of at least 1 item/);
  t.match(msg, /policies\[3\]\.name \(line 8\): found "bad name"/);
  t.match(msg, /policies\[3\]\.rights \(line 8\): found a list, expected a list without repeats \(items 0 and 1/);
  const dup = problems(`${HEAD}policies:
  - { name: svc, primaryKey: ${KEY}, secondaryKey: ${KEY}, rights: [ServiceConnect] }
  - { name: svc, primaryKey: ${KEY}, secondaryKey: ${KEY}, rights: [RegistryRead] }
`);
  t.match(dup, /policies\[1\]\.name \(line 6\): found "svc", expected a policy name not used by another entry/);
});

// ---- the default policy's keys ----

t.test('the default iothubowner keys are made once per certs folder and reused', async (t) => {
  const dir = await tempDir(t, 'hubtls-policy-');
  const first = await defaultPolicy(dir);
  t.equal(first.name, DEFAULT_POLICY);
  t.same(first.rights, RIGHTS);
  t.equal(Buffer.from(first.primaryKey, 'base64').length, 32);
  t.not(first.primaryKey, first.secondaryKey);
  t.same(await defaultPolicy(dir), first, 'read back, not made again');
  t.equal((await fs.stat(path.join(dir, POLICY_KEYS_FILE))).mode & 0o777, 0o600, 'keys readable by the owner only');
  const other = await defaultPolicy(await tempDir(t, 'hubtls-policy-'));
  t.not(other.primaryKey, first.primaryKey, 'another folder, other keys');
  t.same(await fs.readdir(dir), [POLICY_KEYS_FILE], 'no partial files left behind');
});

t.test('processes starting together on a new folder agree on one key', async (t) => {
  const dir = await tempDir(t, 'hubtls-policy-');
  const all = await Promise.all(Array.from({ length: 8 }, () => defaultPolicy(dir)));
  t.equal(new Set(all.map((p) => p.primaryKey)).size, 1);
});

t.test('a damaged keys file is an error naming it, never silently replaced', async (t) => {
  const dir = await tempDir(t, 'hubtls-policy-');
  await fs.writeFile(path.join(dir, POLICY_KEYS_FILE), '{"iothubowner": {"primaryKey": 1}}');
  await t.rejects(defaultPolicy(dir), { code: 'HUBTLS_POLICY_KEYS', message: new RegExp(POLICY_KEYS_FILE) });
});

t.test('DeviceRegistry.load fills in the default policy from the certs folder', async (t) => {
  const dir = await tempDir(t, 'hubtls-policy-');
  const devices = compileDevices({ deviceCAs: [], endpoints: [] }, dir);
  const reg = new DeviceRegistry(devices, () => NOW);
  t.same(reg.policies.list(), [], 'before load: none');
  await reg.load(await PkiStore.open(dir));
  const p = reg.policies.get(DEFAULT_POLICY)!;
  t.same(p, await defaultPolicy(dir));
  t.same(reg.policies.authorize(sdkToken(p, p.secondaryKey), HUB, 'RegistryWrite'), {
    ok: true,
    policy: DEFAULT_POLICY,
  });
});

t.test('a device may connect with a token of a policy that has DeviceConnect', async (t) => {
  const devKey = randomKey();
  const devices = compileDevices(
    {
      deviceCAs: [],
      devices: [
        { id: 'd1', auth: 'sas', primaryKey: devKey },
        { id: 'c1', auth: 'x509-ca' },
      ],
      policies: [owner, { ...reader, rights: ['RegistryRead', 'ServiceConnect'] }],
      endpoints: [],
    },
    '.',
  );
  const reg = new DeviceRegistry(devices, () => NOW);
  const creds = (deviceId: string, sas: string) => ({ deviceId, hubHost: HUB, sas, now: NOW });
  // What the device SDK sends for a connection string with SharedAccessKeyName: sr = {hub}/devices/{id}, skn.
  const policySas = (id: string, p: PolicySpec, key = p.primaryKey) =>
    azureCommon.SharedAccessSignature.create(`${HUB}/devices/${id}`, p.name, key, String(nowS + HOUR)).toString();
  t.match(authenticateDevice(reg, creds('d1', policySas('d1', owner))), {
    ok: true,
    method: 'policy',
    detail: /policy 'iothubowner'/,
  });
  t.match(authenticateDevice(reg, creds('c1', policySas('c1', owner))), { ok: true, method: 'policy' }, 'any device');
  t.match(authenticateDevice(reg, creds('d1', sdkToken(owner, owner.secondaryKey))), { ok: true }, 'hub-level sr');
  t.match(authenticateDevice(reg, creds('d1', policySas('d1', reader))), {
    ok: false,
    errorCode: 401003,
    reason: /lacks the DeviceConnect right/,
  });
  t.match(authenticateDevice(reg, creds('d1', policySas('c1', owner))), {
    ok: false,
    reason: /scoped to '\/devices\/c1', not to device 'd1'/,
  });
  t.match(authenticateDevice(reg, creds('d1', policySas('d1', owner, devKey))), {
    ok: false,
    reason: /signature does not match/,
  });
  const own = azureCommon.SharedAccessSignature.create(`${HUB}/devices/d1`, '', devKey, String(nowS + HOUR));
  t.match(authenticateDevice(reg, creds('d1', own.toString())), { ok: true, method: 'sas' }, 'device keys still work');
});
