import t from 'tap';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { problemsOf as problemsIn } from '../helpers/scenario-problems.js';

const ctx = { chainIds: ['g2', 'baltimore', 'ecc-g3', 'msrsa2017'], afterModes: ['hold', 'close', 'mqtt'] };
const fixture = (name: string) => `test/fixtures/scenarios/${name}`;

const problemsOf = (file: string) => problemsIn(file, ctx);

t.test('typos: every problem at once, with paths, lines and suggestions', async (t) => {
  const msg = problemsOf(fixture('typos.yaml'));
  t.match(msg, /^test\/fixtures\/scenarios\/typos\.yaml: \d+ problems/);
  t.match(
    msg,
    /endpoints\[0\]\.clientcert \(line 8\): found unknown field "clientcert", expected one of .*\(did you mean "clientCert"\?\)/,
  );
  t.match(msg, /endpoints\[1\]\.kind \(line 10\): found "dsp", expected "iothub" or "dps"/);
  t.match(msg, /endpoints\[1\]\.hostnames \(line 11\): found a list, expected a list of at least 1 item/);
  t.match(msg, /endpoints\[1\]\.port \(line 14\): found number 70000, expected a number <= 65535/);
});

t.test('meaning is checked once the shape is right: profile and chain ids', async (t) => {
  const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/hubtls-scn-');
  const fixed = readFileSync(fixture('typos.yaml'), 'utf8')
    .replace('clientcert', 'clientCert')
    .replace('dsp', 'dps')
    .replace('[]', '["x"]')
    .replace('70000', '7000');
  writeFileSync(`${dir}/s.yaml`, fixed);
  const msg = problemsOf(`${dir}/s.yaml`);
  t.match(
    msg,
    /endpoints\[0\]\.profile \(line 6\): found "iothub-2052", expected a profile id: .*\(did you mean "iothub-2025"\?\)/,
  );
  t.match(msg, /endpoints\[0\]\.chain \(line 7\): found "g3", expected a chain id .*\(did you mean "g2"\?\)/);
});

t.test('invalid YAML names the line', async (t) => {
  t.match(problemsOf(fixture('invalid-yaml.yaml')), /\(line 4\): found invalid YAML \(Nested mappings/);
});

t.test('duplicates, two defaults, unreadable files, unknown after mode', async (t) => {
  const msg = problemsOf(fixture('duplicates.yaml'));
  t.match(msg, /endpoints\[1\]\.name .*expected a name not used by another endpoint/);
  t.match(msg, /endpoints\[1\]\.default .*at most one default endpoint per port/);
  t.match(msg, /endpoints\[2\]\.chain\.cert .*found "missing\.pem", expected a readable PEM file/);
  t.match(msg, /endpoints\[2\]\.after .*found "hodl", expected one of hold, close, mqtt \(did you mean "hold"\?\)/);
});

t.test('an empty file and a missing file', async (t) => {
  t.match(problemsOf(fixture('empty.yaml')), /\(top level\).*expected/);
  t.throws(() => loadScenario('no/such/file.yaml', ctx), {
    code: 'HUBTLS_SCENARIO_NOT_FOUND',
    message: /scenario file not found: no\/such\/file\.yaml/,
  });
});

t.test('the default scenario compiles with defaults and overrides', async (t) => {
  const s = compileScenario(loadScenario('scenarios/default.yaml', ctx), { port: 0, adminPort: 0 });
  t.equal(s.listeners.length, 1);
  t.same(s.listeners[0], { host: '127.0.0.1', port: 0, endpoints: ['hub', 'dps'] });
  t.equal(s.admin.port, 0);
  const hub = s.endpoints.find((e) => e.name === 'hub')!;
  t.same(hub.eccChain, { catalog: 'ecc-g3' });
  t.equal(hub.clientCert, 'request');
  t.notOk(s.endpoints.find((e) => e.name === 'dps')!.eccChain, 'dps profile serves RSA only');
});
