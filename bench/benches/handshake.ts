/**
 * Handshake rate: full TLS 1.2 ECDHE-RSA handshakes per second through hubtls (scenarios/default.yaml
 * as users run it: ClientHello inspection, policy, `after: mqtt`, one JSON event per connection to
 * stdout; the clients close right after the handshake, as a device rejecting the chain would) versus
 * the bare Node TLS server with the same chain (RSA-2048 leaf, RSA-4096 SHA-384 intermediate), suite,
 * groups and client-certificate request. `--hold` runs bench/scenario.yaml (`after: hold`) instead. Then the same with session resumption (tickets).
 * Rounds alternate bare / hubtls so drift on the shared machine hits both; medians are compared.
 * Also printed: server CPU per handshake (process.cpuUsage of the server, all its threads), the
 * capacity a dedicated core would have, less skewed by other work than the wall-clock rate.
 * Goal (issue 17): hubtls ≥ 0.95 × bare, by rate and by server CPU per handshake.
 * Options: `--rounds N` (default 5), `--full-only` (skip resumption), `--compare DIR` (another
 * build, e.g. the tree before a change, measured in the same alternation: bare, hubtls, DIR),
 * `--steady S` (S seconds of warm-up, then rate and CPU of the window alone: see STEADY_S).
 */
import { startBare, startFloor, startHubtls, type Server } from '../lib/procs.js';
import {
  bareConfig,
  startRateLoad,
  BENCH_CERTS,
  BENCH_SNI,
  BENCH_SUITE,
  BENCH_SCENARIO,
  DEFAULT_SCENARIO,
} from '../lib/setup.js';
import { flag, numberOption, stringOption } from '../lib/options.js';
import { median, ratioLine, say } from '../lib/stats.js';

const ROUNDS = numberOption('rounds', 5);
const SCENARIO = flag('hold') ? BENCH_SCENARIO : DEFAULT_SCENARIO;
const GOAL = { op: '≥', value: 0.95 } as const;
/** `--compare DIR`: another build's bin (DIR/dist/bundle/hubtls.mjs) in the same alternation, e.g. the tree before a change. */
const COMPARE = stringOption('compare');
const CONCURRENCY = 8;
/**
 * `--steady S`: S seconds of load before the window, and server CPU read over the window alone. The
 * default (1 s, CPU from the start of the warm-up) charges each fresh server's JIT warm-up (V8
 * compiling and tiering up the JavaScript on the connection path) to its first ~1,000 handshakes;
 * hubtls runs far more JavaScript per connection than the bare server, so it pays more of it.
 */
const STEADY_S = numberOption('steady', 0);
const WARMUP_MS = STEADY_S ? STEADY_S * 1000 : 1000;
const DURATION_MS = 3000;

interface RateResult {
  rate: number;
  handshakes: number;
  reused: number;
  errors: number;
  cpuMsPerHandshake: number;
}

async function measure(server: Server, resume: boolean): Promise<RateResult> {
  const load = startRateLoad(server.port, {
    concurrency: CONCURRENCY,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    resume,
  });
  if (STEADY_S) await load.next('warm');
  const before = await server.probe('snapshot');
  const r = await load.next<{ rate: number; handshakes: number; reused: number; errors: number }>('result');
  const after = await server.probe('snapshot');
  await load.done;
  // Default: server CPU from before the warm-up to the end, over the handshakes of warm-up and
  // window alike. --steady: from the end of the warm-up, over the window's handshakes.
  const all = STEADY_S ? r.handshakes : r.handshakes * ((WARMUP_MS + DURATION_MS) / DURATION_MS);
  return { ...r, cpuMsPerHandshake: (after.cpuMs - before.cpuMs) / Math.max(1, all) };
}

function start(name: string, bareCfg: string): Promise<Server> {
  if (name === 'bare') return startBare(bareCfg);
  if (name === 'floor') return startFloor(bareCfg);
  return startHubtls(SCENARIO, BENCH_CERTS, [], name === 'other' ? COMPARE : undefined);
}

type Side = 'bare' | 'floor' | 'hub' | 'other';

async function rounds(resume: boolean, bareCfg: string): Promise<Record<Side, RateResult[]>> {
  const bare: RateResult[] = [];
  const floor: RateResult[] = [];
  const hub: RateResult[] = [];
  const other: RateResult[] = [];
  const sides = [
    ['bare', bare],
    ['floor', floor],
    ['hubtls', hub],
    ...(COMPARE ? ([['other', other]] as const) : []),
  ] as const;
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, list] of sides) {
      const server = await start(name, bareCfg);
      const r = await measure(server, resume);
      await server.stop();
      list.push(r);
      say(
        `  round ${i + 1} ${(name === 'other' ? 'compare' : name).padEnd(7)} ${r.rate.toFixed(0)}/s (${r.handshakes} in ${DURATION_MS / 1000} s, ${r.reused} resumed, ${r.errors} errors, server CPU ${r.cpuMsPerHandshake.toFixed(2)} ms/handshake)`,
      );
    }
  }
  return { bare, floor, hub, other };
}

const rate = (xs: RateResult[]) => median(xs.map((x) => x.rate));
const capacity = (xs: RateResult[]) => 1000 / median(xs.map((x) => x.cpuMsPerHandshake));

/**
 * Where the floor (bench/floor-server.mjs) stands: what the architecture alone costs against bare,
 * and how much of the rest is hubtls's own code.
 */
function floorLines(r: Record<Side, RateResult[]>, figure: (xs: RateResult[]) => number, unit: string): void {
  const [bare, floor, hub] = [figure(r.bare), figure(r.floor), figure(r.hub)];
  say(
    `  floor (bare + JS ClientHello read + one log line) ${floor.toFixed(0)} ${unit}: ${(floor / bare).toFixed(2)} of bare; hubtls ${(hub / floor).toFixed(2)} of the floor`,
  );
}

export async function handshakeBench(): Promise<void> {
  const cfg = await bareConfig();
  say(
    `== handshake: ${BENCH_SUITE}, TLS 1.2, SNI ${BENCH_SNI}, hubtls ${SCENARIO.split('/').slice(-2).join('/')}, ${CONCURRENCY} concurrent clients in a separate process, ${ROUNDS} rounds × ${DURATION_MS / 1000} s (after ${WARMUP_MS / 1000} s warm-up${STEADY_S ? '; --steady: CPU over the window alone' : ', counted in the CPU'})`,
  );
  const full = await rounds(false, cfg);
  say(ratioLine('full handshakes', 'handshakes/s', rate(full.bare), rate(full.hub), GOAL));
  const cpu = '  by server CPU (1000 / median CPU ms per handshake)';
  say(ratioLine(cpu, 'handshakes/s per core', capacity(full.bare), capacity(full.hub), GOAL));
  floorLines(full, rate, 'handshakes/s');
  floorLines(full, capacity, 'handshakes/s per core (by server CPU)');
  if (COMPARE) {
    say(`  the --compare build (${COMPARE}), same rounds:`);
    say(ratioLine('  full handshakes', 'handshakes/s', rate(full.bare), rate(full.other), GOAL));
    say(ratioLine(cpu, 'handshakes/s per core', capacity(full.bare), capacity(full.other), GOAL));
  }
  if (flag('full-only')) return;
  say('-- session resumption (TLS 1.2 session tickets; hubtls keeps one ticket key per cached context)');
  const res = await rounds(true, cfg);
  const resumed = (xs: RateResult[]) => xs.every((x) => x.handshakes > 0 && x.reused === x.handshakes);
  say(`  every handshake resumed: bare ${resumed(res.bare) ? 'yes' : 'NO'}, hubtls ${resumed(res.hub) ? 'yes' : 'NO'}`);
  say(ratioLine('resumed handshakes', 'handshakes/s', rate(res.bare), rate(res.hub), GOAL));
  say(ratioLine('  by server CPU', 'handshakes/s per core', capacity(res.bare), capacity(res.hub), GOAL));
  floorLines(res, rate, 'handshakes/s');
  floorLines(res, capacity, 'handshakes/s per core (by server CPU)');
  if (COMPARE) {
    say(`  the --compare build (${COMPARE}), same rounds:`);
    say(ratioLine('  resumed handshakes', 'handshakes/s', rate(res.bare), rate(res.other), GOAL));
    say(ratioLine('  by server CPU', 'handshakes/s per core', capacity(res.bare), capacity(res.other), GOAL));
  }
}
