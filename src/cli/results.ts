/**
 * How `hubtls test` and `hubtls qualify` show their runs: a progress bar on a terminal (one line per
 * run otherwise), the results table, a Markdown report for a ticket, the summary line. One copy.
 */
import cliProgress from 'cli-progress';
import type { ScenarioRun } from '../report/scenario-test.js';
import { say } from './output.js';

export const MARK: Record<ScenarioRun['status'], string> = {
  pass: 'PASS',
  warn: 'WARN',
  fail: 'FAIL',
  skip: 'skip',
  error: 'ERROR',
};

export type ResultFormat = 'table' | 'markdown';
export const RESULT_FORMATS: readonly ResultFormat[] = ['table', 'markdown'];

export interface Progress {
  start(name: string): void;
  done(r: ScenarioRun): void;
  stop(): void;
}

/** On a terminal a progress bar (stderr); in CI one line per run. `noun`: "scenarios", "cases". */
export function progressReporter(total: number, noun = 'scenarios'): Progress {
  if (!process.stderr.isTTY)
    return {
      start: () => {},
      done: (r) => say(`${MARK[r.status].padEnd(5)} ${r.name} (${r.file}, ${(r.durationMs / 1000).toFixed(1)} s)`),
      stop: () => {},
    };
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: ` {bar} {value}/{total} ${noun} | {failed} failed | {scenario}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  let failed = 0;
  bar.start(total, 0, { scenario: '', failed });
  return {
    start: (name) => bar.update({ scenario: name }),
    done: (r) => bar.increment({ failed: (failed += r.status === 'fail' || r.status === 'error' ? 1 : 0) }),
    stop: () => bar.stop(),
  };
}

const outcomes = (r: ScenarioRun) => r.handshakes.map((h) => h.outcome.replace('HUBTLS_', '')).join(',') || '-';
const exit = (r: ScenarioRun) => (r.exitCode === undefined || r.exitCode === null ? '-' : String(r.exitCode));

export function resultsTable(runs: ScenarioRun[], nameHeader = 'scenario'): string {
  const rows = [
    ['result', nameHeader, 'exit', 'handshakes', 'time', 'why'],
    ...runs.map((r) => [
      MARK[r.status],
      r.name,
      exit(r),
      outcomes(r),
      `${(r.durationMs / 1000).toFixed(1)}s`,
      r.problems.join('; ') || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => Math.min(row[i]!.length, 48))));
  return rows.map((row) => row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).join('\n');
}

const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/** A Markdown report: the summary, one table row per run, and each run's details (for a ticket). */
export function resultsMarkdown(runs: ScenarioRun[], title: string, client: string, nameHeader = 'scenario'): string {
  const head = [`# ${title}`, '', `Device command: \`${client}\``, '', summaryLine(runs), ''];
  const table = [
    `| result | ${nameHeader} | exit | handshakes | time |`,
    '|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${MARK[r.status]} | ${cell(r.name)} | ${exit(r)} | ${outcomes(r)} | ${(r.durationMs / 1000).toFixed(1)} s |`,
    ),
  ];
  const details = runs.flatMap((r) => ['', `## ${MARK[r.status]} ${r.name}`, '', ...r.problems.map((p) => `- ${p}`)]);
  return [...head, ...table, ...details, ''].join('\n');
}

export function count(runs: ScenarioRun[], s: ScenarioRun['status']): number {
  return runs.filter((r) => r.status === s).length;
}

export function summaryLine(runs: ScenarioRun[]): string {
  const warned = count(runs, 'warn') ? `, ${count(runs, 'warn')} warned` : '';
  return `${count(runs, 'pass')} passed${warned}, ${count(runs, 'fail') + count(runs, 'error')} failed, ${count(runs, 'skip')} skipped`;
}
