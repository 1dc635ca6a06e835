/**
 * `hubtls qualify --client '<cmd>'`: the device qualification suite. Each case runs the device
 * command once against its own generated hub (free ports) with the case's credentials, and grades
 * it pass / warn / fail (na: does not apply). Output and exit codes follow `hubtls test`: a table
 * (progress on a terminal), --junit, --format markdown --out FILE; exit 0 when nothing failed, 1 on a
 * fail or error, 2 on bad arguments or setup.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, type Command } from 'commander';
import { HubtlsError } from '../errors.js';
import { PkiStore } from '../pki/store.js';
import { prepareTrust } from '../report/scenario-test.js';
import { junitXml } from '../report/junit.js';
import { killRunningDevices } from '../report/device.js';
import { CASES, pickCases } from '../qualify/registry.js';
import { runCase, type QualifyRun } from '../qualify/run.js';
import type { DeviceAuth } from '../qualify/scenario.js';
import { print, say } from './output.js';
import { certsDirOption, parseSeconds } from './options.js';
import {
  count,
  progressReporter,
  RESULT_FORMATS,
  resultsMarkdown,
  resultsTable,
  summaryLine,
  type ResultFormat,
} from './results.js';

interface QualifyFlags {
  client?: string;
  list?: boolean;
  cases?: string[];
  junit?: string;
  format: ResultFormat;
  out?: string;
  caseTimeout?: number;
  auth: DeviceAuth;
  certs: string;
}

export function caseList(): string {
  const width = Math.max(...CASES.map((c) => c.id.length));
  return CASES.map((c) => `${c.id.padEnd(width)}  ${c.title}`).join('\n');
}

function parseAuth(v: string): DeviceAuth {
  if (v !== 'sas' && v !== 'x509') throw new InvalidArgumentError(`"${v}" is not sas or x509`);
  return v;
}

function parseFormat(v: string): ResultFormat {
  if (!(RESULT_FORMATS as readonly string[]).includes(v))
    throw new InvalidArgumentError(`"${v}" is not one of ${RESULT_FORMATS.join(', ')}`);
  return v as ResultFormat;
}

const parseIds = (v: string) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function chosen(ids: string[] | undefined) {
  try {
    return pickCases(ids);
  } catch (e) {
    throw new HubtlsError('HUBTLS_UNKNOWN_CASE', (e as Error).message, 'hubtls qualify --list shows every case id');
  }
}

export async function runQualify(f: QualifyFlags & { client: string }): Promise<QualifyRun[]> {
  const cases = chosen(f.cases);
  const pki = await PkiStore.open(f.certs);
  const trust = await prepareTrust(pki);
  const progress = progressReporter(cases.length, 'cases');
  const runs: QualifyRun[] = [];
  for (const c of cases) {
    progress.start(c.id);
    const caseTimeoutMs = f.caseTimeout && f.caseTimeout * 1000;
    const r = await runCase(c, { client: f.client, pki, trust, auth: f.auth, caseTimeoutMs });
    runs.push(r);
    progress.done(r);
  }
  progress.stop();
  return runs;
}

function output(runs: QualifyRun[], f: QualifyFlags & { client: string }): void {
  const markdown = f.format === 'markdown' ? resultsMarkdown(runs, 'hubtls qualify', f.client, 'case') : undefined;
  if (markdown && f.out) {
    writeFileSync(f.out, markdown);
    say(`Markdown report written to ${f.out}`);
  }
  print(markdown && !f.out ? markdown : `${resultsTable(runs, 'case')}\n\n${summaryLine(runs)}`);
  if (f.junit) {
    writeFileSync(f.junit, junitXml(runs, f.client, 'hubtls-qualify'));
    say(`JUnit XML written to ${f.junit}`);
  }
}

async function qualifyCommand(f: QualifyFlags): Promise<void> {
  if (f.list) return print(caseList());
  if (!f.client)
    throw new HubtlsError(
      'HUBTLS_NO_CLIENT',
      'hubtls qualify needs the device command',
      "pass --client '<cmd>' (or --list)",
    );
  const client = f.client;
  chosen(f.cases); // unknown ids are a usage error before anything starts
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => (killRunningDevices(), process.exit(130)));
  const runs = await runQualify({ ...f, client });
  output(runs, { ...f, client });
  process.exitCode = count(runs, 'fail') + count(runs, 'error') > 0 ? 1 : 0;
}

export function registerQualifyCommand(program: Command): void {
  program
    .command('qualify')
    .description('grade a device command on Azure qualification cases (TLS and MQTT): pass / warn / fail')
    .option(
      '--client <cmd>',
      'device command, run with sh -c once per case; gets HUBTLS_DEVICE_CONNECTION_STRING, HUBTLS_HOST, HUBTLS_CA, … (as hubtls test)',
    )
    .option('--list', 'print the case ids, one line each, and exit')
    .option('--cases <ids>', 'comma-separated case ids to run (default: all)', parseIds)
    .option(
      '--auth <sas|x509>',
      'how the device authenticates: sas (HUBTLS_DEVICE_CONNECTION_STRING with a key) or x509 (HUBTLS_DEVICE_CERT / HUBTLS_DEVICE_KEY, CA-signed)',
      parseAuth,
      'sas',
    )
    .option('--junit <file>', 'write JUnit XML here')
    .option('--format <format>', `output format: ${RESULT_FORMATS.join(', ')}`, parseFormat, 'table')
    .option('--out <file>', 'with --format markdown: write the report here')
    .option('--case-timeout <seconds>', "cap every case's time limit (each case has its own, 12–60 s)", parseSeconds)
    .option(...certsDirOption)
    .action((flags: QualifyFlags) => qualifyCommand(flags));
}
