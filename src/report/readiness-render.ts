/** The readiness report as a terminal table, JSON, or Markdown to paste into a ticket. */
import type { HelloReadiness, ProfileVerdict } from './readiness.js';

export type ReportFormat = 'table' | 'json' | 'markdown';
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'markdown'];

/** One distinct ClientHello as captured: the assessment plus where and how often it was seen. */
export interface CapturedHello extends HelloReadiness {
  id: number;
  peers: string[];
  count: number;
}

export interface ReadinessReport {
  generatedAt: string;
  /** Scenario time the profiles were evaluated at (dated suites and versions). */
  at: string;
  hellos: CapturedHello[];
}

const MARK: Record<ProfileVerdict['verdict'], string> = { pass: 'pass', warn: 'WARN', fail: 'FAIL' };

function chainText(v: ProfileVerdict): string {
  return v.chain ? `${v.chain.keyType === 'ec' ? 'ECC' : 'RSA'} ${v.chain.id} → ${v.chain.root}` : '-';
}

function helloLine(h: CapturedHello): string {
  const x = h.hello;
  return `ClientHello #${h.id} from ${h.peers.join(', ')}${h.count > 1 ? ` (seen ${h.count}×)` : ''}: SNI ${x.sni ?? '(none)'}, ${x.suites.length} suites, JA4 ${x.ja4}`;
}

function pad(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function tableFor(h: CapturedHello): string {
  const head = ['profile', 'verdict', 'negotiates', 'chain (root the device must trust)', 'why'];
  const rows = h.verdicts.map((v) => [
    v.profile,
    MARK[v.verdict],
    v.version ? `${v.version} ${v.suite}` : '-',
    chainText(v),
    v.why.join('; ') || '-',
  ]);
  return pad([head, ...rows])
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}

export function renderTable(r: ReadinessReport): string {
  if (r.hellos.length === 0) return 'no ClientHello captured\n';
  return (
    r.hellos
      .map((h) => [helloLine(h), ...h.findings.map((f) => `  - ${f}`), '', tableFor(h), ''].join('\n'))
      .join('\n') +
    summary(r) +
    '\n'
  );
}

function summary(r: ReadinessReport): string {
  return r.hellos
    .map((h) => {
      const ok = h.verdicts.filter((v) => v.verdict !== 'fail').map((v) => v.profile);
      const warned = h.verdicts.filter((v) => v.verdict === 'warn').length;
      return `#${h.id}: passes ${ok.length}/${h.verdicts.length} profiles${warned ? ` (${warned} with warnings)` : ''}${ok.length ? `: ${ok.join(', ')}` : ''}`;
    })
    .join('\n');
}

const md = (s: string) => s.replace(/\|/g, '\\|');

function markdownFor(h: CapturedHello): string {
  const rows = h.verdicts.map(
    (v) =>
      `| \`${v.profile}\` | ${v.verdict === 'pass' ? '✅ pass' : v.verdict === 'warn' ? '⚠️ warn' : '❌ fail'} | ${v.version ? `${v.version} \`${v.suite}\`` : '–'} | ${v.chain ? md(chainText(v)) : '–'} | ${md(v.why.join('; ')) || '–'} |`,
  );
  return [
    `## ClientHello #${h.id}`,
    '',
    `From ${h.peers.join(', ')}${h.count > 1 ? ` (seen ${h.count}×)` : ''}. SNI \`${h.hello.sni ?? '(none)'}\`, JA3 \`${h.hello.ja3}\`, JA4 \`${h.hello.ja4}\`.`,
    '',
    ...h.findings.map((f) => `- ${f}`),
    '',
    '| profile | verdict | negotiates | chain (root to trust) | why |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    '<details><summary>offered suites</summary>',
    '',
    ...h.hello.suites.map((s) => `- \`${s}\``),
    '',
    '</details>',
  ].join('\n');
}

export function renderMarkdown(r: ReadinessReport): string {
  const head = `# Azure TLS readiness (hubtls inspect)\n\nGenerated ${r.generatedAt}; profiles evaluated at ${r.at}.\n`;
  return [head, ...r.hellos.map(markdownFor), ''].join('\n\n');
}

export function renderReport(r: ReadinessReport, format: ReportFormat): string {
  if (format === 'json') return `${JSON.stringify(r, null, 2)}\n`;
  return format === 'markdown' ? renderMarkdown(r) : renderTable(r);
}
