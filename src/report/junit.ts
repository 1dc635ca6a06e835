/**
 * JUnit XML for CI (GitHub Actions, GitLab, Jenkins read it): one testsuite, one testcase per
 * scenario; failures name every mismatch; system-out holds the handshake verdicts and the device
 * command's output. Written with junit-report-builder.
 */
import path from 'node:path';
import junitModule, { type Builder } from 'junit-report-builder';
import type { ScenarioRun } from './scenario-test.js';

// The package is CommonJS with an ESM-style `export default` in its types: at run time the default import is the builder itself.
const builderRoot = ((junitModule as unknown as { default?: Builder }).default ?? junitModule) as unknown as Builder;

function handshakeLines(r: ScenarioRun): string {
  return r.handshakes.map((h) => `${h.outcome} ${h.endpoint ?? h.listener} ${h.peer}: ${h.reason}`).join('\n');
}

function systemOut(r: ScenarioRun, client: string): string {
  const warned = r.status === 'warn' ? ['WARN (passed with a finding):', ...r.problems, ''] : [];
  return [
    ...warned,
    `device command: ${client}`,
    `exit code: ${r.exitCode ?? '-'}`,
    '',
    'handshakes:',
    handshakeLines(r) || '(none)',
    '',
    'device output:',
    r.output.trimEnd() || '(none)',
  ].join('\n');
}

/** `warn` runs pass (their finding is in system-out); `skip` covers not-applicable qualify cases. */
export function junitXml(runs: ScenarioRun[], client: string, suiteName = 'hubtls'): string {
  const builder = builderRoot.newBuilder();
  const suite = builder.testSuite().name(suiteName);
  for (const r of runs) {
    const tc = suite
      .testCase()
      .className(`hubtls.${path.basename(r.file).replace(/\.ya?ml$/, '')}`)
      .name(r.name)
      .file(r.file)
      .time(r.durationMs / 1000);
    if (r.status === 'fail') tc.failure(r.problems.join('\n'), 'HUBTLS_EXPECTATION_MISMATCH');
    if (r.status === 'error') tc.error(r.problems.join('\n'), 'HUBTLS_SCENARIO_ERROR');
    if (r.status === 'skip') tc.skipped();
    tc.standardOutput(r.status === 'skip' ? r.problems.join('\n') : systemOut(r, client));
  }
  return builder.build();
}
