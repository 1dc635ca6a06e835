/**
 * `hubtls test --client '<cmd>'`: the firmware-CI entry point. Every scenario (with an `expect:`
 * block) runs on free ports; the device command runs against it with HUBTLS_HOST, HUBTLS_PORT,
 * HUBTLS_CA, … in its environment; results are a table, optional JUnit XML, and the exit code
 * (0 all passed, 1 any mismatch or error, 2 bad arguments).
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { glob } from 'tinyglobby';
import cliProgress from 'cli-progress';
import { HubtlsError } from '../errors.js';
import { PkiStore } from '../pki/store.js';
import { prepareTrust, runScenarioTest, type ScenarioRun } from '../report/scenario-test.js';
import { junitXml } from '../report/junit.js';
import { killRunningDevices } from '../report/device.js';
import { print, say } from './output.js';
import { certsDirOption } from './options.js';

interface TestFlags {
  client: string;
  scenarios: string[];
  junit?: string;
  timeout: number;
  certs: string;
}

const MARK: Record<ScenarioRun['status'], string> = { pass: 'PASS', fail: 'FAIL', skip: 'skip', error: 'ERROR' };

function parseSeconds(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`"${v}" is not a positive number of seconds`);
  return n;
}

async function scenarioFiles(patterns: string[]): Promise<string[]> {
  const files = (await glob(patterns, { onlyFiles: true, expandDirectories: false })).sort();
  if (files.length === 0)
    throw new HubtlsError(
      'HUBTLS_NO_SCENARIOS',
      `no scenario file matches ${patterns.join(' ')}`,
      'pass --scenarios GLOB, e.g. --scenarios "scenarios/*.yaml"',
    );
  return files;
}

/** On a terminal a progress bar (stderr); in CI one line per scenario. */
function progressReporter(total: number): { start(file: string): void; done(r: ScenarioRun): void; stop(): void } {
  if (!process.stderr.isTTY)
    return {
      start: () => {},
      done: (r) => say(`${MARK[r.status].padEnd(5)} ${r.name} (${r.file}, ${(r.durationMs / 1000).toFixed(1)} s)`),
      stop: () => {},
    };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ' {bar} {value}/{total} scenarios | {failed} failed | {scenario}',
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  bar.start(total, 0, { scenario: '', failed });
  return {
    start: (file) => bar.update({ scenario: file }),
    done: (r) => bar.increment({ failed: (failed += r.status === 'fail' || r.status === 'error' ? 1 : 0) }),
    stop: () => bar.stop(),
  };
}

export function resultsTable(runs: ScenarioRun[]): string {
  const rows = [
    ['result', 'scenario', 'exit', 'handshakes', 'time', 'why'],
    ...runs.map((r) => [
      MARK[r.status],
      r.name,
      r.exitCode === undefined || r.exitCode === null ? '-' : String(r.exitCode),
      r.handshakes.map((h) => h.outcome.replace('HUBTLS_', '')).join(',') || '-',
      `${(r.durationMs / 1000).toFixed(1)}s`,
      r.problems.join('; ') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => Math.min(row[i]!.length, 48))));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

export async function runTests(f: TestFlags): Promise<ScenarioRun[]> {
  const files = await scenarioFiles(f.scenarios);
  const pki = await PkiStore.open(f.certs);
  const trust = await prepareTrust(pki);
  const progress = progressReporter(files.length);
  const runs: ScenarioRun[] = [];
  for (const file of files) {
    progress.start(file);
    const r = await runScenarioTest(file, { client: f.client, pki, trust, timeoutMs: f.timeout * 1000 });
    runs.push(r);
    progress.done(r);
  }
  progress.stop();
  return runs;
}

async function testCommand(f: TestFlags): Promise<void> {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (killRunningDevices(), process.exit(130)));
  const runs = await runTests(f);
  print(resultsTable(runs));
  const count = (s: ScenarioRun['status']) => runs.filter((r) => r.status === s).length;
  print(`\n${count('pass')} passed, ${count('fail') + count('error')} failed, ${count('skip')} skipped`);
  if (f.junit) {
    writeFileSync(f.junit, junitXml(runs, f.client));
    say(`JUnit XML written to ${f.junit}`);
  }
  // A CI job in which no scenario checked anything must not look green.
  if (count('skip') === runs.length) say('hubtls test: no scenario has an expect: block, so nothing was tested');
  process.exitCode = count('fail') + count('error') > 0 || count('skip') === runs.length ? 1 : 0;
}

export function registerTestCommand(program: Command): void {
  program
    .command('test')
    .description("run a device command against each scenario and check the scenario's expect: block (firmware CI)")
    .requiredOption(
      '--client <cmd>',
      'device command, run with sh -c; gets HUBTLS_HOST, HUBTLS_PORT, HUBTLS_HOSTNAME, HUBTLS_CA, … in its environment',
    )
    .option('--scenarios <globs...>', 'scenario files', ['scenarios/*.yaml'])
    .option('--junit <file>', 'write JUnit XML here')
    .option('--timeout <seconds>', 'time limit for one run of the device command', parseSeconds, 60)
    .option(...certsDirOption)
    .action((flags: TestFlags) => testCommand(flags));
}
