/**
 * `hubtls inspect`: listen where the device connects, capture each ClientHello it sends, and print
 * which Azure profiles and chains it would pass and exactly why not — as a table, JSON or Markdown.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { HelloCapture } from '../report/capture.js';
import { REPORT_FORMATS, renderReport, type CapturedHello, type ReportFormat } from '../report/readiness-render.js';
import { getProfile } from '../profiles/registry.js';
import { print, say } from './output.js';
import { parsePort, parsePositive } from './options.js';

interface InspectFlags {
  host: string;
  port: number;
  count?: number;
  timeout?: number;
  format: ReportFormat;
  out?: string;
  at?: Date;
  profiles?: string[];
}

function parseDate(v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`"${v}" is not a date (ISO 8601, e.g. 2025-09-01)`);
  return d;
}

function progress(h: CapturedHello, isNew: boolean): void {
  if (!isNew) return say(`ClientHello #${h.id} again (${h.count}×)`);
  const pass = h.verdicts.filter((v) => v.verdict !== 'fail').length;
  say(
    `captured ClientHello #${h.id} from ${h.peers[0]}: SNI ${h.hello.sni ?? '(none)'}, ${h.hello.suites.length} suites — passes ${pass}/${h.verdicts.length} profiles`,
  );
}

/** Resolves when `count` distinct hellos arrived, the timeout passed, or the user pressed Ctrl-C. */
function untilDone(capture: HelloCapture, f: InspectFlags, seen: { onNew?: () => void }): Promise<string> {
  return new Promise((resolve) => {
    const timer = f.timeout ? setTimeout(() => resolve(`${f.timeout} s passed`), f.timeout * 1000) : undefined;
    const stop = (why: string) => (
      clearTimeout(timer),
      process.off('SIGINT', onSig),
      process.off('SIGTERM', onSig),
      resolve(why)
    );
    const onSig = () => stop('interrupted');
    process.once('SIGINT', onSig).once('SIGTERM', onSig);
    seen.onNew = () =>
      f.count !== undefined && capture.distinct >= f.count && stop(`${f.count} ClientHello(s) captured`);
  });
}

export async function inspect(f: InspectFlags): Promise<void> {
  f.profiles?.forEach((p) => getProfile(p));
  const seen: { onNew?: () => void } = {};
  const capture = await HelloCapture.listen({
    host: f.host,
    port: f.port,
    at: f.at,
    profiles: f.profiles,
    onHello: (h, isNew) => (progress(h, isNew), isNew && seen.onNew?.()),
    onProblem: (peer, msg) => say(`${peer}: no usable ClientHello (${msg})`),
  });
  say(
    `hubtls inspect: point the device at ${f.host}:${capture.port} (every connection is answered with handshake_failure after its ClientHello is read)`,
  );
  say(
    `stops after ${f.count ? `${f.count} distinct ClientHello(s)` : 'Ctrl-C'}${f.timeout ? ` or ${f.timeout} s` : ''}`,
  );
  const why = await untilDone(capture, f, seen);
  await capture.close();
  say(`stopped: ${why}`);
  const text = renderReport(capture.report(), f.format);
  if (f.out) {
    writeFileSync(f.out, text);
    say(`report written to ${f.out}`);
  } else print(text.trimEnd());
  if (capture.distinct === 0) process.exitCode = 3;
}

export function registerInspectCommand(program: Command): void {
  program
    .command('inspect')
    .description(
      "capture a device's ClientHellos and report which Azure profiles and chains it would pass, and why not",
    )
    .option('--host <addr>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'port to listen on (0 = any free port)', parsePort, 8883)
    .option('--count <n>', 'stop after this many distinct ClientHellos', parsePositive)
    .option('--timeout <seconds>', 'stop after this many seconds', parsePositive)
    .addOption(new Option('--format <format>', 'report format').choices(REPORT_FORMATS).default('table'))
    .option('--out <file>', 'write the report to a file instead of stdout')
    .option('--at <date>', 'evaluate dated profile entries at this time (default now)', parseDate)
    .option('--profiles <ids...>', 'only these profiles (default all, see `hubtls profiles`)')
    .action((flags: InspectFlags) => inspect(flags));
}
