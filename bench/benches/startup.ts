/**
 * Startup (issue 3): time from spawning `hubtls run` (the built CLI, default scenario) to its
 * `listening` notice (TLS listeners bound: devices can connect), and to `ready` (admin API up). Cold: an empty certs dir, so the default scenario's PKI is
 * generated (RSA-4096 issuing CA, RSA-2048 leaves, P-384 chain). Warm: the same dir again.
 * Baseline: a bare Node TLS server loading the same chain, spawned and timed the same way.
 * Goals: cold < 5 s, warm < 0.5 s.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnNode, readyPort, ROOT, HUBTLS_BIN } from '../lib/procs.js';
import { bareConfig, DEFAULT_SCENARIO } from '../lib/setup.js';
import { median, say } from '../lib/stats.js';

const COLD_RUNS = 5;
const WARM_RUNS = 7;

interface Timing {
  /** Spawn → TLS listeners bound (the `listening` notice): when a device can connect. */
  listenMs: number;
  /** Spawn → `ready` (admin plane up too). */
  wallMs: number;
  /** CPU the process used until ready (Linux /proc, 10 ms ticks): less skewed by other load. */
  cpuMs: number;
}

function cpuMsOf(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** Spawn → ready event on stdout; the process is stopped afterwards. */
async function timeToReady(args: string[]): Promise<Timing> {
  const t0 = performance.now();
  const child = spawnNode(args);
  let listenMs = 0;
  child.stdout!.on('data', (d: Buffer) => {
    if (!listenMs && /"what":"listening"|"event":"ready"/.test(d.toString())) listenMs = performance.now() - t0;
  });
  await readyPort(child, args.join(' '));
  const wallMs = performance.now() - t0;
  const cpuMs = cpuMsOf(child.pid!);
  child.kill('SIGKILL');
  return { listenMs: listenMs || wallMs, wallMs, cpuMs };
}

const run = (bin: string, certs: string) => [
  bin,
  'run',
  DEFAULT_SCENARIO,
  '--port',
  '0',
  '--admin-port',
  '0',
  '--certs',
  certs,
];
/** The unbundled build (dist/src), what `hubtls` ran before scripts/bundle.mjs: for before/after. */
const UNBUNDLED = path.join(ROOT, 'dist/src/cli/main.js');

function fmt(ts: Timing[], key: 'wallMs' | 'listenMs' = 'wallMs'): string {
  const xs = ts.map((t) => t[key]);
  return `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)} (${xs.map((x) => x.toFixed(0)).join(', ')}); CPU median ${median(ts.map((t) => t.cpuMs)).toFixed(0)} ms`;
}

const med = (ts: Timing[], key: 'wallMs' | 'listenMs' = 'wallMs') => median(ts.map((t) => t[key]));
const verdict = (ts: Timing[], limit: number, key: 'wallMs' | 'listenMs' = 'wallMs') =>
  Math.max(...ts.map((t) => t[key])) < limit ? 'met (every run)' : med(ts, key) < limit ? 'met (median)' : 'MISSED';

export async function startupBench(): Promise<void> {
  say(
    '== startup: spawn `hubtls run scenarios/default.yaml` (the bin, dist/bundle/hubtls.mjs) → ready event on stdout',
  );
  const bareArgs = [path.join(ROOT, 'bench/bare-server.mjs'), await bareConfig()];
  const bare: Timing[] = [];
  const warm: Timing[] = [];
  const unbundled: Timing[] = [];
  const cold: Timing[] = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-bench-cold-'));
    cold.push(await timeToReady(run(HUBTLS_BIN, dir)));
    // Interleaved, so load from other work on the machine hits all three alike.
    for (let k = 0; i === 0 && k < WARM_RUNS; k++) {
      bare.push(await timeToReady(bareArgs));
      warm.push(await timeToReady(run(HUBTLS_BIN, dir)));
      unbundled.push(await timeToReady(run(UNBUNDLED, dir)));
    }
    rmSync(dir, { recursive: true, force: true });
  }
  say(`baseline (bare node tls server, same chain): ${fmt(bare)}`);
  say(
    `warm start to listening (certs reused): ${fmt(warm, 'listenMs')}; ratio to bare ${(med(warm, 'listenMs') / med(bare)).toFixed(2)}; goal < 500 ms: ${verdict(warm, 500, 'listenMs')}`,
  );
  say(`  warm start to ready (admin API up too): ${fmt(warm)}`);
  say(`  before bundling (dist/src, one file per module): ${fmt(unbundled)}`);
  say(
    `cold start to listening (PKI generated): ${fmt(cold, 'listenMs')}; goal < 5000 ms: ${verdict(cold, 5000, 'listenMs')}`,
  );
}
