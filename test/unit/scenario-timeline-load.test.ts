/**
 * Broken timelines and fault uses: every problem of a file at once, each with its path, line,
 * what was found and what was expected (with "did you mean" for misspelt ids).
 */
import t, { type Test } from 'tap';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { ScenarioError } from '../../src/scenario/problems.js';
import { chainIds } from '../../src/pki/chains.js';
import { afterModeNames } from '../../src/after/registry.js';

const ctx = { chainIds: chainIds(), afterModes: afterModeNames() };
const fixture = (name: string) => `test/fixtures/scenarios/${name}.yaml`;

function problemsOf(name: string): string {
  try {
    loadScenario(fixture(name), ctx);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error(`${name} was accepted`);
}

/** Each expected line must be one of the listed problems, and there are exactly that many. */
function expectProblems(t: Test, name: string, expected: RegExp[]): void {
  const msg = problemsOf(name);
  const lines = msg.split('\n').slice(1);
  t.match(msg.split('\n')[0], `${fixture(name)}: ${expected.length} problems`, msg);
  for (const re of expected)
    t.ok(
      lines.some((l) => re.test(l)),
      `${name}: ${re.source}`,
    );
}

t.test('timeline shape: unknown fields, formats, literal values — all at once', async (t) => {
  expectProblems(t, 'timeline-shape', [
    /timeline\[0\]\.fualt \(line 16\): found unknown field "fualt", expected one of id, description, at, after, delay, on, .* \(did you mean "fault"\?\)/,
    /timeline\[0\]\.at \(line 11\): found "yesterday", expected a date-time such as 2025-09-01T00:00:00Z/,
    /timeline\[0\]\.after\.connections \(line 15\): expected this field \(it is required\)/,
    /timeline\[0\]\.after\.connection \(line 15\): found unknown field "connection", .*\(did you mean "connections"\?\)/,
    /timeline\[0\]\.delay \(line 10\): found "30 seconds", expected text matching .*e\.g\. 500ms, 30s, 5m/,
    /timeline\[0\]\.on \(line 14\): found "operator", expected "admin"/,
    /timeline\[0\]\.rotateLeaf \(line 13\): found "yes", expected a boolean .*or true/,
    /timeline\[0\]\.clock \(line 12\): found "next week", expected a date-time such as 2025-09-01T00:00:00Z or text matching \^\[\+-\]/,
  ]);
});

t.test('timeline meaning: triggers, actions, references and rotations', async (t) => {
  expectProblems(t, 'timeline-meaning', [
    /endpoints\[1\]\.chain\.cert \(line 15\): found "own\.pem", expected a readable PEM file/,
    /endpoints\[1\]\.chain\.key \(line 15\): found "own\.key", expected a readable PEM file/,
    /timeline\[0\] \(line 17\): expected one trigger: at \(simulated time\), after \(\{connections: N\}\), delay \(e\.g\. 30s\) or on: admin/,
    /timeline\[1\]\.delay \(line 21\): found "at and delay in one step", expected one trigger per step/,
    /timeline\[2\] \(line 23\): expected at least one action: chain, eccChain, rotateLeaf, rotateIntermediate, profile, clock, fault or drop/,
    /timeline\[3\]\.id \(line 25\): expected an id for an `on: admin` step/,
    /timeline\[4\]\.endpoint\[1\] \(line 29\): found "dsp", expected an endpoint name: hub, dps \(did you mean "dps"\?\)/,
    /timeline\[4\]\.after\.endpoint \(line 28\): found "hbu", expected an endpoint name: hub, dps \(did you mean "hub"\?\)/,
    /timeline\[4\]\.chain \(line 30\): found "g3", expected a chain id from `hubtls certs list`: .* \(did you mean "g2"\?\)/,
    /timeline\[4\]\.profile \(line 31\): found "iothub-2052", expected a profile id: .* \(did you mean "iothub-2025"\?\)/,
    /timeline\[4\]\.rotateIntermediate \(line 33\): found "g2-ca4", .*\(did you mean "g2-ca04"\?\)/,
    /timeline\[4\]\.fault\.start \(line 32\): found "rest", expected a fault id declared under an endpoint's faults: reset \(did you mean "reset"\?\)/,
    /timeline\[4\]\.fault\.stop\[1\] \(line 32\): found "rset", .*\(did you mean "reset"\?\)/,
    /timeline\[5\]\.id \(line 34\): found "bad-refs", expected a step id not used by another step/,
    /timeline\[6\]\.rotateIntermediate \(line 42\): found boolean true, expected a chain id to rotate to: endpoint hub serves ecc-g3 here, which has no known next issuing CA/,
  ]);
});

t.test("fault shape: unknown fault with a suggestion, params checked against the fault's own schema", async (t) => {
  expectProblems(t, 'faults-shape', [
    /endpoints\[0\]\.faults\[0\]\.fault \(line 9\): found "stal", expected one of reset-after-hello, .* \(did you mean "stall"\?\)/,
    /endpoints\[0\]\.faults\[1\]\.params \(line 10\): expected this field \(it is required\)/,
    /endpoints\[0\]\.faults\[2\]\.params\.byte \(line 12\): found unknown field "byte", expected one of bytes, intervalMs \(did you mean "bytes"\?\)/,
    /endpoints\[0\]\.faults\[2\]\.params\.intervalMs \(line 12\): found number -5, expected a number >= 0 \(pause after each piece\)/,
    /endpoints\[0\]\.faults\[3\]\.probability \(line 15\): found number 1\.5, expected a number <= 1/,
    /endpoints\[0\]\.faults\[4\]\.actve \(line 18\): found unknown field "actve", .*\(did you mean "active"\?\)/,
    /endpoints\[0\]\.faults\[4\]\.everyNth \(line 17\): found number 0, expected a number >= 1/,
  ]);
});

t.test('fault meaning: cross-field rules, catalog chains, unique ids', async (t) => {
  expectProblems(t, 'faults-meaning', [
    /endpoints\[0\]\.faults\[0\]\.params \(line 10\): found an object, expected params\.seconds or params\.bytes \(or both\)/,
    /endpoints\[0\]\.faults\[1\]\.params\.chain \(line 12\): found "expird", expected a chain id from `hubtls certs list` \(did you mean "expired"\?\)/,
    /endpoints\[0\]\.faults\[3\]\.id \(line 15\): found "twice", expected a fault id not used by another fault/,
  ]);
});

t.test('every library scenario is valid and compiles; default ids and actions come out as written', async (t) => {
  const { readdirSync } = await import('node:fs');
  for (const f of readdirSync('scenarios').filter((n) => n.endsWith('.yaml'))) {
    t.doesNotThrow(() => compileScenario(loadScenario(`scenarios/${f}`, ctx)), f);
  }
  const s = compileScenario(loadScenario('scenarios/fault-reset-after-hello.yaml', ctx));
  t.same(s.faults, [{ id: 'reset', endpoint: 'hub', fault: 'reset-after-hello', params: {}, active: false }]);
  t.same(
    s.timeline.map((x) => [x.id, x.trigger.kind, x.actions.map((a) => a.kind)]),
    [
      ['resets-begin', 'after', ['fault']],
      ['resets-end', 'after', ['fault']],
    ],
  );
  t.equal(
    compileScenario(loadScenario('scenarios/fault-close-after-server-hello.yaml', ctx)).faults[0]!.id,
    'hub.close-after-server-hello',
  );
});
