/**
 * `hubtls run --workers N` (issue 17 item 2): full TLS 1.2 handshakes against scenarios/default.yaml
 * (as the handshake bench: `after: mqtt`, events on, clients close right after the handshake) with
 * 1 worker and with N workers (`--workers-max N`, default the machine's cores, at least 2), beside
 * the bare Node server. Server CPU is summed over the whole process tree (the primary and every
 * worker, from /proc), so the relay and the event forwarding are counted. Goal: server CPU per
 * handshake flat from 1 to N workers; on a machine with more cores than the load needs, the rate
 * scales with N. Rounds alternate bare / 1 worker / N workers; medians are compared.
 */
import os from 'node:os';
import { readFileSync } from 'node:fs';
import { startBare, startHubtls, type Server } from '../lib/procs.js';
import { bareConfig, startRateLoad, BENCH_CERTS, BENCH_SUITE, DEFAULT_SCENARIO } from '../lib/setup.js';
import { numberOption } from '../lib/options.js';
import { median, meets, say, type Goal } from '../lib/stats.js';

const ROUNDS = numberOption('rounds', 3);
const N = numberOption('workers-max', Math.max(2, os.availableParallelism()));
const CONCURRENCY = 16;
const WARMUP_MS = 1000;
const DURATION_MS = 3000;
const TICK_MS = 1000 / 100; // USER_HZ on Linux

/** CPU (ms) of a process and all its descendants, from /proc (Linux). */
function treeCpuMs(pid: number): number {
  let ms = 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ms += (Number(f[11]) + Number(f[12])) * TICK_MS; // utime, stime
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    for (const c of children ? children.split(' ') : []) ms += treeCpuMs(Number(c));
  } catch {
    // a process that just ended counts no more
  }
  return ms;
}

interface Result {
  rate: number;
  errors: number;
  cpuMsPerHandshake: number;
}

async function measure(server: Server): Promise<Result> {
  const pid = server.child.pid!;
  const load = startRateLoad(server.port, {
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    resume: false,
  });
  const before = treeCpuMs(pid);
  const r = await load.next<{ rate: number; handshakes: number; errors: number }>('result');
  const after = treeCpuMs(pid);
  await load.done;
  const all = r.handshakes * ((WARMUP_MS + DURATION_MS) / DURATION_MS);
  return { rate: r.rate, errors: r.errors, cpuMsPerHandshake: (after - before) / Math.max(1, all) };
}

export async function workersBench(): Promise<void> {
  const cfg = await bareConfig();
  say(
    `== workers: ${BENCH_SUITE}, TLS 1.2, scenarios/default.yaml, ${CONCURRENCY} concurrent clients, bare vs --workers 1 vs --workers ${N}, ${ROUNDS} rounds × ${DURATION_MS / 1000} s; CPU of the whole process tree`,
  );
  const sides: Array<[string, () => Promise<Server>, Result[]]> = [
    ['bare', () => startBare(cfg), []],
    ['1 worker', () => startHubtls(DEFAULT_SCENARIO, BENCH_CERTS, ['--workers', '1']), []],
    [`${N} workers`, () => startHubtls(DEFAULT_SCENARIO, BENCH_CERTS, ['--workers', String(N)]), []],
  ];
  for (let i = 0; i < ROUNDS; i++)
    for (const [name, start, list] of sides) {
      const server = await start();
      const r = await measure(server);
      await server.stop();
      list.push(r);
      say(
        `  round ${i + 1} ${name.padEnd(10)} ${r.rate.toFixed(0)}/s (${r.errors} errors), server CPU ${r.cpuMsPerHandshake.toFixed(2)} ms/handshake (all processes)`,
      );
    }
  const rate = (xs: Result[]) => median(xs.map((x) => x.rate));
  const cpu = (xs: Result[]) => median(xs.map((x) => x.cpuMsPerHandshake));
  const [bare, one, many] = sides.map((s) => s[2]) as [Result[], Result[], Result[]];
  const line = (what: string, a: string, x: number, b: string, y: number, unit: string, goal: Goal, d = 0) =>
    say(
      `${what}: ${a} ${x.toFixed(d)} ${unit}, ${b} ${y.toFixed(d)} ${unit}, ratio ${(y / x).toFixed(2)} (goal ${goal.op} ${goal.value}: ${meets(y / x, goal) ? 'goal met' : 'GOAL MISSED'})`,
    );
  const cores = os.availableParallelism();
  line('server CPU per handshake', '1 worker', cpu(one), `${N} workers`, cpu(many), 'ms', { op: '≤', value: 1.1 }, 2);
  line('rate', '1 worker', rate(one), `${N} workers`, rate(many), 'handshakes/s', {
    op: '≥',
    value: cores > N ? 1.5 : 1,
  });
  say(`  (${cores} cores here, shared with the load generator: the rate scales only where cores are left over)`);
  line('server CPU per handshake', 'bare', cpu(bare), '1 worker', cpu(one), 'ms', { op: '≤', value: 1.5 }, 2);
  line('rate', 'bare', rate(bare), '1 worker', rate(one), 'handshakes/s', { op: '≥', value: 0.5 });
}
