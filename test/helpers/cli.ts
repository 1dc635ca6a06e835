/** `hubtls run` as a child process, the way a user starts it, with its output collected. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { SHARED_DIR } from './pki.js';

export interface RunningCli {
  child: ChildProcess;
  port: number;
  adminUrl?: string;
  stdout: () => string;
  stderr: () => string;
  /** Every JSON line of stdout so far (pino events). */
  events: () => Array<Record<string, unknown>>;
  /** Resolves when stderr (stdout) so far matches `re`. */
  stderrLine: (re: RegExp) => Promise<void>;
  stdoutLine: (re: RegExp) => Promise<void>;
  exited: Promise<number | null>;
}

export function spawnHubtls(args: string[], nodeArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, HUBTLS_CERTS_DIR: SHARED_DIR },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command that ends by itself (`check`, `test`, `certs export`, …) and collects what it printed. */
export function hubtlsToEnd(args: string[]): Promise<CliResult> {
  return collect(spawnHubtls(args));
}

/** Waits for a child to end and collects what it printed. */
export async function collect(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

/** Starts `hubtls run ARGS` on free ports and resolves once it printed "ready." */
export async function runCli(args: string[], nodeArgs: string[] = []): Promise<RunningCli> {
  const child = spawnHubtls(['run', '--port', '0', '--admin-port', '0', ...args], nodeArgs);
  let out = '';
  let err = '';
  const waiters: Array<{ re: RegExp; on: () => string; resolve: () => void }> = [];
  const check = () => {
    for (const w of [...waiters]) {
      if (!w.re.test(w.on())) continue;
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout!.on('data', (d) => ((out += d), check()));
  child.stderr!.on('data', (d) => ((err += d), check()));
  const waitFor = (re: RegExp, on: () => string) =>
    re.test(on()) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ re, on, resolve }));
  const exited = once(child, 'close').then(([code]) => code as number | null);
  const events = () =>
    out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const stderrLine = (re: RegExp) => waitFor(re, () => err);
  // stdout and stderr are separate pipes: wait for the human line and the JSON event both.
  const ready = Promise.all([stderrLine(/ready\. Ctrl-C stops\./), waitFor(/"event":"ready"/, () => out)]);
  await Promise.race([ready, exited.then((c) => Promise.reject(new Error(`hubtls exited ${c} before ready: ${err}`)))]);
  const readyEvent = events().find((e) => e.event === 'ready') as {
    listeners: Array<{ port: number }>;
    admin?: { url: string };
  };
  return {
    child,
    port: readyEvent.listeners[0]!.port,
    adminUrl: readyEvent.admin?.url,
    stdout: () => out,
    stderr: () => err,
    events,
    stderrLine,
    stdoutLine: (re) => waitFor(re, () => out),
    exited,
  };
}
