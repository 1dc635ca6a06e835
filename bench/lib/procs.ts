/**
 * Child processes of a bench: the server under test (hubtls as `hubtls run` from dist/, or the bare
 * baseline), each with the probe preloaded, and the client load generator. Servers and clients are
 * separate processes so that the server's CPU and memory are measured alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PROBE = path.join(ROOT, 'bench/probe.mjs');

export interface ProbeSnapshot {
  el: { maxMs: number; p99Ms: number; meanMs: number };
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
  cpuMs: number;
}

export interface Server {
  name: string;
  port: number;
  child: ChildProcess;
  probe(kind: 'snapshot' | 'snapshot-gc' | 'reset'): Promise<ProbeSnapshot>;
  stop(): Promise<void>;
}

/** Runs `node ARGS` inside `sh -c 'ulimit -n <hard>'` so 10,000 sockets fit whatever the soft limit. */
export function spawnNode(args: string[], opts: { ipc?: boolean; env?: NodeJS.ProcessEnv } = {}): ChildProcess {
  const quoted = [process.execPath, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return spawn('sh', ['-c', `ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec ${quoted}`], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe', ...(opts.ipc ? (['ipc'] as const) : [])],
    env: { ...process.env, ...opts.env },
  });
}

/** Resolves with the port of the first JSON line with event "ready" on stdout. */
export async function readyPort(child: ChildProcess, what: string): Promise<number> {
  return (await readyEvent(child, what)).listeners[0]!.port;
}

interface ReadyLine {
  listeners: Array<{ port: number }>;
  admin?: { url: string };
}

/** The first JSON line with event "ready" on stdout; later lines are read and dropped. */
export function readyEvent(child: ChildProcess, what: string): Promise<ReadyLine> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const onData = (d: Buffer) => {
      out += d;
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (!line) return;
      child.stdout!.off('data', onData);
      child.stdout!.resume(); // from here on the events are read and dropped
      resolve(JSON.parse(line) as ReadyLine);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d) => (err += d));
    child.once('exit', (code) => reject(new Error(`${what} exited ${code} before ready: ${err.slice(-2000)}`)));
  });
}

function prober(child: ChildProcess): Server['probe'] {
  let next = 1;
  return (kind) =>
    new Promise((resolve) => {
      const id = next++;
      const onMsg = (m: { probe?: string; id?: number } & ProbeSnapshot) => {
        if (m.id !== id) return;
        child.off('message', onMsg);
        resolve(m);
      };
      child.on('message', onMsg);
      child.send({ probe: kind, id });
    });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * Extra node options for the servers under test (both sides alike), e.g. to profile them:
 * `BENCH_SERVER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' npm run bench -- handshake`.
 */
const SERVER_NODE_ARGS = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);

async function startServer(name: string, args: string[], env?: NodeJS.ProcessEnv): Promise<Server & ReadyLine> {
  const child = spawnNode(['--expose-gc', '--import', PROBE, ...SERVER_NODE_ARGS, ...args], { ipc: true, env });
  child.stderr!.resume();
  const ready = await readyEvent(child, name);
  return { ...ready, name, port: ready.listeners[0]!.port, child, probe: prober(child), stop: () => stopChild(child) };
}

/** The `hubtls` bin as installed (the bundle scripts/bundle.mjs writes). */
export const HUBTLS_BIN = path.join(ROOT, 'dist/bundle/hubtls.mjs');

/** `hubtls run` from the build, events on (info level, JSON lines to stdout), as a user runs it. */
export function startHubtls(scenario: string, certsDir: string, extra: string[] = [], root?: string): Promise<Server> {
  const cli = root ? path.join(path.resolve(root), 'dist/bundle/hubtls.mjs') : HUBTLS_BIN;
  return startServer('hubtls', [cli, 'run', scenario, '--port', '0', '--no-admin', '--certs', certsDir, ...extra]);
}

/** `hubtls run` with its admin API on a free port and this bearer token (the storm bench drives the timeline). */
export async function startHubtlsWithAdmin(
  scenario: string,
  certsDir: string,
  token: string,
): Promise<Server & { adminUrl: string }> {
  const args = [HUBTLS_BIN, 'run', scenario, '--port', '0', '--admin-port', '0', '--certs', certsDir];
  const s = await startServer('hubtls', args, { HUBTLS_ADMIN_TOKEN: token });
  if (!s.admin) throw new Error('hubtls started without its admin API');
  return { ...s, adminUrl: s.admin.url };
}

export function startBare(configFile: string): Promise<Server> {
  return startServer('bare', [path.join(ROOT, 'bench/bare-server.mjs'), configFile]);
}

/** The forward bench's baseline, bench/bare-pipe.mjs. */
/** The floor (bench/floor-server.mjs): bare plus a JavaScript ClientHello read and one log line per handshake. */
export function startFloor(configFile: string): Promise<Server> {
  return startServer('floor', [path.join(ROOT, 'bench/floor-server.mjs'), configFile]);
}

export function startBarePipe(configFile: string): Promise<Server> {
  return startServer('bare pipe', [path.join(ROOT, 'bench/bare-pipe.mjs'), configFile]);
}

/** A plain child (no probe), e.g. the forward bench's upstream; resolves with its port. */
export async function startPlain(script: string, args: string[]): Promise<{ port: number; stop: () => Promise<void> }> {
  const child = spawnNode([path.join(ROOT, script), ...args]);
  child.stderr!.resume();
  const port = await readyPort(child, script);
  return { port, stop: () => stopChild(child) };
}

/** The load generator (bench/load.ts) with one job; resolves with its final report. */
export interface LoadChild {
  child: ChildProcess;
  /** The next message of `type` from the generator. */
  next<T>(type: string): Promise<T>;
  send(msg: object): void;
  done: Promise<void>;
}

export function startLoad(job: object): LoadChild {
  const child = spawnNode(['--import', 'tsx', path.join(ROOT, 'bench/load.ts'), JSON.stringify(job)], { ipc: true });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.stdout!.resume();
  const done = once(child, 'exit').then(([code]) => {
    if (code !== 0) throw new Error(`load generator exited ${code}: ${err.slice(-2000)}`);
  });
  return {
    child,
    next: <T>(type: string) =>
      new Promise<T>((resolve, reject) => {
        const onMsg = (m: { type?: string }) => m.type === type && (child.off('message', onMsg), resolve(m as T));
        child.on('message', onMsg);
        done.then(() => reject(new Error(`load generator ended before '${type}'`)), reject);
      }),
    send: (msg) => child.send(msg),
    done,
  };
}
