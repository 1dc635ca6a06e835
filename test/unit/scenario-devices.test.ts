/** Scenario fields for devices, enrollments and the object form of `after`: validation and defaults. */
import t from 'tap';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { problems as problemsIn, scenarioText } from '../helpers/scenario-problems.js';
import { AFTER_MODES, afterModeNames } from '../../src/after/registry.js';
import { AfterObject, AfterRef } from '../../src/after/schema.js';

const ctx = { chainIds: ['g2', 'baltimore'], afterModes: afterModeNames() };
const KEY = 'c2VjcmV0LWtleS1mb3ItdGVzdHM=';

const write = scenarioText;
const problems = (text: string) => problemsIn(text, ctx);

const ENDPOINTS = `endpoints:
  - { name: hub, kind: iothub, hostnames: ["*.azure-devices.net"], profile: iothub-2025, chain: g2, after: mqtt }
  - { name: dps, kind: dps, hostnames: ["*.azure-devices-provisioning.net"], profile: dps, chain: g2, after: { mode: mqtt, retryAfterSeconds: 1 } }
`;

t.test('device and enrollment problems: every one, with path, line and what was expected', async (t) => {
  const msg = problems(`name: bad
${ENDPOINTS}idScope: 0ne00000001
deviceCAs: [device-root, { file: nowhere.pem }]
devices:
  - { id: a, auth: sas }
  - { id: b, auth: x509-thumbprint, primaryThumbprint: "12:34", primaryKey: ${KEY} }
  - { id: a, auth: x509-ca }
enrollments:
  - { registrationId: r1, groupId: g1, attestation: symmetric-key, primaryKey: ${KEY} }
  - { groupId: g2, attestation: x509, primaryThumbprint: ${'ab'.repeat(20)} }
  - { registrationId: r2, attestation: symmetric-key, primaryKey: ${KEY}, hub: hbu }
`);
  t.match(msg, /devices\[1\]\.primaryThumbprint \(line 9\): found "12:34", expected text matching/);
  t.notMatch(msg, /deviceCAs/, 'meaning is checked once the shape is right');
  const fixed = problems(`name: bad
${ENDPOINTS}deviceCAs: [device-root, { file: nowhere.pem }]
devices:
  - { id: a, auth: sas }
  - { id: b, auth: x509-thumbprint, primaryThumbprint: "${'12:'.repeat(19)}12", primaryKey: ${KEY} }
  - { id: a, auth: x509-ca }
enrollments:
  - { registrationId: r1, groupId: g1, attestation: symmetric-key, primaryKey: ${KEY} }
  - { groupId: g2, attestation: x509, primaryThumbprint: ${'ab'.repeat(20)} }
  - { registrationId: r2, attestation: symmetric-key, primaryKey: ${KEY}, hub: hbu }
`);
  t.match(
    fixed,
    /deviceCAs\[0\] \(line 5\): found "device-root", expected a root id .*\(did you mean "device-root-ca"\?\)/,
  );
  t.match(fixed, /deviceCAs\[1\]\.file \(line 5\): found "nowhere\.pem", expected a readable PEM file/);
  t.match(fixed, /devices\[0\]\.primaryKey \(line 7\): expected this field \(auth: sas needs it\)/);
  t.match(
    fixed,
    /devices\[1\]\.primaryKey \(line 8\): found "c2Vj.*", expected no primaryKey with auth: x509-thumbprint/,
  );
  t.match(fixed, /devices\[2\]\.id \(line 9\): found "a", expected a device id not used by another entry/);
  t.match(fixed, /enrollments\[0\] \(line 11\): expected exactly one of registrationId .* or groupId/);
  t.match(
    fixed,
    /enrollments\[1\]\.attestation \(line 12\): found "x509", expected x509-ca or symmetric-key for an enrollment group/,
  );
  t.match(
    fixed,
    /enrollments\[2\]\.hub \(line 13\): found "hbu", expected the name of an iothub endpoint: hub \(did you mean "hub"\?\)/,
  );
});

t.test('after: mode names and the object form', async (t) => {
  const msg = problems(`name: after
endpoints:
  - { name: a, kind: iothub, hostnames: [a.example], profile: iothub-2025, chain: g2, after: mqt }
  - { name: b, kind: iothub, hostnames: [b.example], profile: iothub-2025, chain: g2, after: forward }
  - { name: c, kind: iothub, hostnames: [c.example], profile: iothub-2025, chain: g2, after: { mode: forward } }
  - { name: d, kind: iothub, hostnames: [d.example], profile: iothub-2025, chain: g2, after: { mode: forward, upstream: { host: x, port: 8883, ca: missing.pem } } }
  - { name: e, kind: iothub, hostnames: [e.example], profile: iothub-2025, chain: g2, after: { mode: mqtt, upstream: { host: x, port: 1 } } }
  - { name: f, kind: iothub, hostnames: [f.example], profile: iothub-2025, chain: g2, after: { mode: hold, retryAfterSeconds: 1 } }
  - { name: g, kind: iothub, hostnames: [g.example], profile: iothub-2025, chain: g2, after: { mode: forward, upstream: { host: x, port: 1, cert: scenario.yaml } } }
`);
  t.match(
    msg,
    /endpoints\[0\]\.after \(line 3\): found "mqt", expected one of hold, close, mqtt, https, forward, amqp \(did you mean "mqtt"\?\)/,
  );
  t.match(
    msg,
    /endpoints\[1\]\.after \(line 4\): found "forward", expected \{ mode: forward, upstream: \{ host, port \} \}/,
  );
  t.match(msg, /endpoints\[2\]\.after\.upstream \(line 5\): expected this field \(forward needs upstream/);
  t.match(msg, /endpoints\[3\]\.after\.upstream\.ca \(line 6\): found "missing\.pem", expected a readable PEM file/);
  t.match(
    msg,
    /endpoints\[4\]\.after\.upstream \(line 7\): found "upstream", expected no upstream unless mode is forward/,
  );
  const foreign =
    /endpoints\[5\]\.after\.retryAfterSeconds \(line 8\): .*expected no retryAfterSeconds unless mode is mqtt or https/;
  t.match(msg, foreign, 'an option of another mode');
  t.match(msg, /endpoints\[6\]\.after\.upstream \(line 9\): expected cert and key together/);
});

t.test('after: the schema is built from the registered modes', async (t) => {
  const names = AFTER_MODES.map((m) => m.name);
  t.equal(AfterRef.anyOf[0]!.description, `after-TLS mode: ${names.join(' | ')}`, 'no mode listed that does not exist');
  for (const m of AFTER_MODES) {
    t.match(AfterRef.description, `${m.name}: ${m.description}`);
    const fields = AfterObject.properties as Record<string, unknown>;
    for (const key of Object.keys(m.options.properties))
      t.ok(fields[key], `${m.name}'s ${key} is in the after: object`);
  }
  t.same(Object.keys(AfterObject.properties), [
    'mode',
    'retryAfterSeconds',
    'upstream',
    'connectTimeoutMs',
    'handshakeTimeoutMs',
  ]);
});

t.test('after: each mode compiles its own options', async (t) => {
  const file = write(`name: after-options
endpoints:
  - { name: a, kind: iothub, hostnames: [a.example], profile: iothub-2025, chain: g2 }
  - { name: b, kind: iothub, hostnames: [b.example], profile: iothub-2025, chain: g2, after: { mode: forward, upstream: { host: x, port: 1, ca: scenario.yaml } } }
  - { name: c, kind: dps, hostnames: [c.example], profile: dps, chain: g2, after: https }
`);
  const [a, b, c] = compileScenario(loadScenario(file, ctx)).endpoints;
  t.same([a!.after, a!.afterOptions], ['hold', {}], 'no after: hold, which reads no options');
  const upstream = b!.afterOptions.upstream as { ca: string };
  t.equal(upstream.ca, file, 'forward resolves its files against the scenario folder');
  t.same(c!.afterOptions, { retryAfterSeconds: 3 }, 'https on DPS gets the DPS default');
});

t.test('compiled defaults: id scope, registered CA, assigned hub, after options', async (t) => {
  const s = compileScenario(
    loadScenario(
      write(`name: ok
${ENDPOINTS}devices:
  - { id: dev, auth: x509-thumbprint, primaryThumbprint: "${'AB:'.repeat(31)}AB" }
enrollments:
  - { groupId: g, attestation: x509-ca }
  - { registrationId: r, attestation: symmetric-key, primaryKey: ${KEY}, iotHubHostName: myhub.azure-devices.net }
`),
      ctx,
    ),
  );
  t.equal(s.devices.idScope, '0ne00000001');
  t.same(s.devices.cas, [{ catalog: 'device-root-ca' }]);
  t.same(
    s.devices.devices[0]!.auth,
    { type: 'x509-thumbprint', primaryThumbprint: 'ab'.repeat(32) },
    'thumbprints normalized',
  );
  t.same(
    s.devices.enrollments.map((e) => [e.kind, e.id, e.hub, e.assignedHub]),
    [
      ['group', 'g', 'hub', 'hubtls.azure-devices.net'],
      ['individual', 'r', 'hub', 'myhub.azure-devices.net'],
    ],
  );
  t.same(s.devices.enrollments[0]!.attestation, { type: 'x509-ca', ca: { catalog: 'device-root-ca' } });
  t.same(
    s.endpoints.map((e) => [e.after, e.afterOptions.retryAfterSeconds]),
    [
      ['mqtt', 3],
      ['mqtt', 1],
    ],
  );
});

t.test('the shipped device scenario validates and registers its devices and enrollments', async (t) => {
  const s = compileScenario(loadScenario('scenarios/devices.yaml', ctx));
  t.same(
    s.devices.devices.map((d) => [d.id, d.auth.type]),
    [
      ['sensor-sas', 'sas'],
      ['sensor-self', 'x509-thumbprint'],
      ['sensor-ca', 'x509-ca'],
    ],
  );
  t.same(
    s.devices.enrollments.map((e) => [e.id, e.attestation.type, e.assignedHub]),
    [
      ['factory', 'symmetric-key', 'myhub.azure-devices.net'],
      ['line-2', 'x509-ca', 'myhub.azure-devices.net'],
    ],
  );
});
