/**
 * `hubtls test --client '<cmd>'`: the firmware-CI entry point. Every scenario (with an `expect:`
 * block) runs on free ports; the device command runs against it with HUBTLS_HOST, HUBTLS_PORT,
 * HUBTLS_CA, … in its environment; results are a table, optional JUnit XML, and the exit code
 * (0 all passed, 1 any mismatch or error, 2 bad arguments).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { glob } from 'tinyglobby';
import { HubtlsError } from '../errors.js';
import { PkiStore } from '../pki/store.js';
import { prepareTrust, runScenarioTest, type ScenarioRun } from '../report/scenario-test.js';
import { junitXml } from '../report/junit.js';
import { killRunningDevices } from '../report/device.js';
import { print, say } from './output.js';
import { certsDirOption, parseSeconds } from './options.js';
import { count, progressReporter, resultsTable, summaryLine } from './results.js';

interface TestFlags {
  client: string;
  scenarios: string[];
  junit?: string;
  timeout: number;
  certs: string;
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
  print(`\n${summaryLine(runs)}`);
  if (f.junit) {
    writeFileSync(f.junit, junitXml(runs, f.client));
    say(`JUnit XML written to ${f.junit}`);
  }
  // A CI job in which no scenario checked anything must not look green.
  if (count(runs, 'skip') === runs.length) say('hubtls test: no scenario has an expect: block, so nothing was tested');
  process.exitCode = count(runs, 'fail') + count(runs, 'error') > 0 || count(runs, 'skip') === runs.length ? 1 : 0;
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
