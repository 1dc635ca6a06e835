/**
 * `hubtls test` end to end: real device commands (openssl s_client, a Node TLS client) against
 * scenarios with expect: blocks; the table, the exit code, and JUnit XML read back by a JUnit parser.
 */
import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse, type TestCase } from 'junit2json';
import { sharedStore } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';
import { prepareTrust, runScenarioTest } from '../../src/report/scenario-test.js';
import { hubtlsToEnd, type CliResult } from '../helpers/cli.js';

const RUNNER = 'test/fixtures/scenarios/runner';
const OPENSSL_DEVICE =
  'openssl s_client -connect "$HUBTLS_HOST:$HUBTLS_PORT" -servername "$HUBTLS_HOSTNAME" -CAfile "$HUBTLS_CA" -verify_return_error </dev/null';

function hubtlsTest(args: string[]): Promise<CliResult> {
  return hubtlsToEnd(['test', ...args]);
}

const byName = (cases: TestCase[], name: string) => cases.find((c) => c.name === name)!;

t.test(
  'openssl s_client as the device: pass, expected refusal, mismatch, skip; JUnit that a JUnit parser reads',
  async (t) => {
    if (!needTool(t, 'openssl', 'openssl')) return;
    const junit = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-junit-')), 'hubtls.xml');
    const r = await hubtlsTest(['--client', OPENSSL_DEVICE, '--scenarios', `${RUNNER}/*.yaml`, '--junit', junit]);
    t.equal(r.code, 1, 'a mismatch makes the exit code non-zero');
    t.match(r.stdout, /^PASS\s+today\s+0\s+ACCEPTED\s/m);
    t.match(r.stdout, /^PASS\s+interception-proxy\s+1\s+CLIENT_REJECTED_CHAIN\s/m);
    t.match(
      r.stdout,
      /^FAIL\s+baltimore-expected-to-pass\s+1\s+CLIENT_REJECTED_CHAIN\s+\S+\s+device exit code: expected 0, got 1; expected every handshake to be HUBTLS_ACCEPTED, got HUBTLS_CLIENT_REJECTED_CHAIN/m,
    );
    t.match(r.stdout, /^skip\s+no-expectations\s/m);
    t.match(r.stdout, /^2 passed, 1 failed, 1 skipped$/m);

    const doc = await parse(readFileSync(junit, 'utf8'));
    const suite = (
      doc as { testsuite: Array<{ tests: number; failures: number; skipped: number; testcase: TestCase[] }> }
    ).testsuite[0]!;
    t.match(suite, { tests: 4, failures: 1, skipped: 1 });
    const failed = byName(suite.testcase, 'baltimore-expected-to-pass');
    t.match(
      failed.failure?.[0]?.message,
      /expected every handshake to be HUBTLS_ACCEPTED, got HUBTLS_CLIENT_REJECTED_CHAIN/,
    );
    t.match(failed.failure?.[0]?.type, 'HUBTLS_EXPECTATION_MISMATCH');
    t.match(
      byName(suite.testcase, 'today')['system-out']?.[0],
      /HUBTLS_ACCEPTED hub 127\.0\.0\.1:\d+: accepted on endpoint hub \(profile iothub-2025\)/,
    );
    t.ok(byName(suite.testcase, 'no-expectations').skipped, 'a scenario without expect: is skipped');
    t.equal(byName(suite.testcase, 'today').classname, 'hubtls.a-today');
  },
);

// Node verifies the chain after the handshake completes (no alert), so against the interception
// chain the hub sees HUBTLS_ACCEPTED and only the exit code tells — as Azure would see it.
t.test('a Node TLS client as the device: expectations met, exit 0', async (t) => {
  const r = await hubtlsTest([
    '--client',
    `${process.execPath} test/fixtures/devices/node-device.mjs`,
    '--scenarios',
    `${RUNNER}/a-today.yaml`,
  ]);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^1 passed, 0 failed, 0 skipped$/m);
  t.match(r.stderr, /^PASS\s+today/m, 'one progress line per scenario when stderr is not a terminal');
});

t.test('a device command that hangs is killed at the time limit and reported', async (t) => {
  const pki = await sharedStore();
  const trust = await prepareTrust(pki);
  const run = await runScenarioTest(`${RUNNER}/a-today.yaml`, { client: 'sleep 30', pki, trust, timeoutMs: 300 });
  t.equal(run.status, 'fail');
  t.match(run.problems, [
    /did not finish within 0\.3 s \(killed\)/,
    /expected HUBTLS_ACCEPTED, but the device made no connection/,
  ]);
});

t.test('only scenarios without expect: nothing was tested, exit 1', async (t) => {
  const r = await hubtlsTest(['--client', 'true', '--scenarios', `${RUNNER}/d-no-expect.yaml`]);
  t.equal(r.code, 1);
  t.match(r.stderr, /no scenario has an expect: block, so nothing was tested/);
});

t.test('no matching scenario file: exit 2 with a hint', async (t) => {
  const r = await hubtlsTest(['--client', 'true', '--scenarios', 'nope/*.yaml']);
  t.equal(r.code, 2);
  t.match(r.stderr, /no scenario file matches nope\/\*\.yaml/);
});
