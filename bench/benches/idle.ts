/**
 * Concurrent idle connections: 10,000 established TLS connections held with MQTT keepalive pings
 * (PINGREQ every 5 s from each, spread evenly), hubtls (bench/scenario.yaml: the default scenario with `hold` after TLS) versus
 * the bare server. Measured in the server process only: RSS and heap growth per connection after
 * a full GC, and the longest event-loop stall while the connections are held.
 * Goals: memory per connection ≤ 1.5 × bare; no stall over 50 ms while held.
 */
import { startBare, startHubtls, startLoad, type ProbeSnapshot, type Server } from '../lib/procs.js';
import { bareConfig, BENCH_CERTS, BENCH_SNI, BENCH_SUITE, BENCH_SCENARIO } from '../lib/setup.js';
import { ratioLine, say, sleep } from '../lib/stats.js';

const COUNT = Number(process.env.HUBTLS_BENCH_IDLE ?? 10_000);
const CONCURRENCY = 100;
const KEEPALIVE_MS = 5000;
const HOLD_MS = 15_000;

interface IdleResult {
  established: number;
  openSeconds: number;
  rssPerConn: number;
  heapPerConn: number;
  externalPerConn: number;
  stallMs: number;
  p99Ms: number;
  pings: number;
  stillOpen: number;
}

const perConn = (
  a: ProbeSnapshot,
  b: ProbeSnapshot,
  k: keyof Pick<ProbeSnapshot, 'rss' | 'heapUsed' | 'external'>,
  n: number,
) => (b[k] - a[k]) / n;

async function measure(server: Server): Promise<IdleResult> {
  const base = await server.probe('snapshot-gc');
  const load = startLoad({
    kind: 'idle',
    port: server.port,
    servername: BENCH_SNI,
    ciphers: BENCH_SUITE,
    count: COUNT,
    concurrency: CONCURRENCY,
    keepaliveMs: KEEPALIVE_MS,
  });
  const est = await load.next<{ established: number; errors: number; seconds: number }>('established');
  await sleep(1000); // let the server finish its side of the last handshakes
  await server.probe('reset');
  load.send({ cmd: 'hold' });
  await sleep(HOLD_MS);
  const held = await server.probe('snapshot');
  load.send({ cmd: 'report' });
  const report = await load.next<{ pings: number; open: number }>('held');
  const mem = await server.probe('snapshot-gc');
  load.send({ cmd: 'close' });
  await load.done;
  const n = Math.max(1, est.established);
  return {
    established: est.established,
    openSeconds: est.seconds,
    rssPerConn: perConn(base, mem, 'rss', n),
    heapPerConn: perConn(base, mem, 'heapUsed', n),
    externalPerConn: perConn(base, mem, 'external', n),
    stallMs: held.el.maxMs,
    p99Ms: held.el.p99Ms,
    pings: report.pings,
    stillOpen: report.open,
  };
}

function describe(name: string, r: IdleResult): string {
  const kb = (x: number) => (x / 1024).toFixed(1);
  return `  ${name.padEnd(6)} ${r.established} established in ${r.openSeconds.toFixed(1)} s, ${r.stillOpen} open after hold; per connection: RSS ${kb(r.rssPerConn)} KiB, JS heap ${kb(r.heapPerConn)} KiB, external ${kb(r.externalPerConn)} KiB; ${r.pings} pings; event loop while held: max ${r.stallMs.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms`;
}

export async function idleBench(): Promise<void> {
  say(
    `== idle: ${COUNT} TLS connections (${BENCH_SUITE}), held ${HOLD_MS / 1000} s with a PINGREQ every ${KEEPALIVE_MS / 1000} s each; client in a separate process`,
  );
  const results: Record<string, IdleResult> = {};
  for (const name of ['bare', 'hubtls'] as const) {
    const server =
      name === 'bare' ? await startBare(await bareConfig()) : await startHubtls(BENCH_SCENARIO, BENCH_CERTS);
    results[name] = await measure(server);
    await server.stop();
    say(describe(name, results[name]!));
  }
  const bare = results.bare!;
  const hub = results.hubtls!;
  say(
    ratioLine(
      'memory per connection (RSS)',
      'KiB',
      bare.rssPerConn / 1024,
      hub.rssPerConn / 1024,
      { op: '≤', value: 1.5 },
      1,
    ),
  );
  say(
    ratioLine(
      'memory per connection (JS heap + external)',
      'KiB',
      (bare.heapPerConn + bare.externalPerConn) / 1024,
      (hub.heapPerConn + hub.externalPerConn) / 1024,
      { op: '≤', value: 1.5 },
      1,
    ),
  );
  say(
    `event-loop stall while held: bare max ${bare.stallMs.toFixed(1)} ms, hubtls max ${hub.stallMs.toFixed(1)} ms (goal ≤ 50 ms: ${hub.stallMs <= 50 ? 'goal met' : 'GOAL MISSED'})`,
  );
}
