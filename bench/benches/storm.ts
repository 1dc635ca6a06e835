/**
 * Reconnect storm (issue 17): N MQTT devices (SAS, a lean client in the load process) connected to
 * hubtls (the default scenario's hub, `after: mqtt`, N devices registered); a migration step
 * (`on: admin`, another chain, `drop: true`) is triggered through the admin API, every device
 * reconnects at once, and the bench takes the time until the last one has CONNACK 0 again. Baselines
 * from the same run: N / the handshake rate this hubtls process reaches with plain TLS connects
 * (what the handshakes alone allow), and the bare server's memory per idle TLS connection.
 * Goals on the 2-core machine: back within 2 × N / rate; memory per MQTT device ≤ 2 × bare.
 * Options: `--devices N` (default 2000; `--devices 10000` for the figure), `--concurrency C`
 * (handshakes in flight from the load process, default 64). 127.0.0.1 only (sources 127.0.0.1–8).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBare, startHubtlsWithAdmin, startLoad, type ProbeSnapshot, type Server } from '../lib/procs.js';
import { bareConfig, startRateLoad, BENCH_CERTS, BENCH_SUITE } from '../lib/setup.js';
import { numberOption } from '../lib/options.js';
import { ratioLine, say, sleep } from '../lib/stats.js';

const DEVICES = numberOption('devices', 2000);
const CONCURRENCY = numberOption('concurrency', 64);
const HOST = 'storm.azure-devices.net';
const KEY = Buffer.alloc(32, 7).toString('base64');
const TOKEN = 'storm-bench-token';
const PREFIX = 'storm-';
/** The storm may take this long at most before the bench gives up on it. */
const STORM_LIMIT_MS = 300_000;

function scenarioFile(): string {
  const devices = Array.from(
    { length: DEVICES },
    (_, i) => `  - { id: ${PREFIX}${i}, auth: sas, primaryKey: "${KEY}" }`,
  );
  const text = `name: storm
description: the default scenario's hub with ${DEVICES} SAS devices and a migration step that drops them all
listen: { host: 127.0.0.1, port: 8883 }
endpoints:
  - { name: hub, kind: iothub, hostnames: ["*.azure-devices.net"], default: true, profile: iothub-2025, chain: g2, eccChain: ecc-g3, after: mqtt }
devices:
${devices.join('\n')}
timeline:
  - { id: migrate, on: admin, chain: g2-cross-msrsa2017, drop: true, description: the hub moves to the cross-signed chain and drops every device }
`;
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-storm-')), 'storm.yaml');
  writeFileSync(file, text);
  return file;
}

const per = (a: ProbeSnapshot, b: ProbeSnapshot, n: number) => ({
  rss: (b.rss - a.rss) / n,
  heap: (b.heapUsed + b.external - a.heapUsed - a.external) / n,
});

/** Memory per idle TLS connection on the bare server (the idle bench's baseline, N connections). */
async function bareIdle(): Promise<{ rss: number; heap: number }> {
  const server = await startBare(await bareConfig());
  const base = await server.probe('snapshot-gc');
  const job = { kind: 'idle', port: server.port, servername: HOST, ciphers: BENCH_SUITE, count: DEVICES };
  const load = startLoad({ ...job, concurrency: CONCURRENCY, keepaliveMs: 60_000 });
  const est = await load.next<{ established: number }>('established');
  await sleep(1000); // the server's side of the last handshakes
  const mem = await server.probe('snapshot-gc');
  load.send({ cmd: 'close' });
  await load.done;
  await server.stop();
  return per(base, mem, Math.max(1, est.established));
}

/** Plain TLS handshakes per second on this hubtls process (connect, handshake, close). */
async function handshakeRate(server: Server): Promise<number> {
  const load = startRateLoad(server.port, {
    servername: HOST,
    concurrency: CONCURRENCY,
    durationMs: 3000,
    warmupMs: 1000,
    resume: false,
  });
  const r = await load.next<{ rate: number }>('result');
  await load.done;
  return r.rate;
}

async function trigger(adminUrl: string, step: string): Promise<void> {
  const res = await fetch(`${adminUrl}/timeline/trigger`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ step }),
  });
  if (!res.ok) throw new Error(`POST /timeline/trigger answered ${res.status}: ${await res.text()}`);
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(what)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

export async function stormBench(): Promise<void> {
  say(
    `== storm: ${DEVICES} MQTT devices (SAS), migration step with drop: true, all reconnect; ${CONCURRENCY} handshakes in flight from the load process`,
  );
  const bare = await bareIdle();
  const kib = (x: number) => (x / 1024).toFixed(1);
  say(
    `  bare   ${DEVICES} idle TLS connections: RSS ${kib(bare.rss)} KiB, JS heap + external ${kib(bare.heap)} KiB each`,
  );
  const server = await startHubtlsWithAdmin(scenarioFile(), BENCH_CERTS, TOKEN);
  try {
    // Memory first, on a fresh process: the rate run's garbage would leave the RSS high-water mark behind.
    const base = await server.probe('snapshot-gc');
    const job = { kind: 'storm', port: server.port, host: HOST, ciphers: BENCH_SUITE, count: DEVICES };
    const load = startLoad({
      ...job,
      concurrency: CONCURRENCY,
      prefix: PREFIX,
      key: KEY,
      sources: 8,
      keepaliveSeconds: 240,
    });
    const up = await load.next<{ connected: number; errors: number; seconds: number }>('connected');
    await sleep(1000);
    const mem = per(base, await server.probe('snapshot-gc'), up.connected);
    say(
      `  hubtls ${up.connected} devices connected in ${up.seconds.toFixed(1)} s (${up.errors} retried): RSS ${kib(mem.rss)} KiB, JS heap + external ${kib(mem.heap)} KiB per device`,
    );
    const rate = await handshakeRate(server);
    say(
      `  hubtls plain TLS handshakes (devices connected): ${rate.toFixed(0)}/s → ${DEVICES} handshakes alone take ${(DEVICES / rate).toFixed(1)} s`,
    );
    load.send({ cmd: 'storm' });
    await load.next('armed');
    const back = load.next<{ seconds: number; back: number; retries: number }>('back');
    await trigger(server.adminUrl, 'migrate');
    const r = await within(back, STORM_LIMIT_MS, `devices not all back within ${STORM_LIMIT_MS / 1000} s`);
    load.send({ cmd: 'close' });
    await load.done;
    const allowed = DEVICES / rate;
    say(
      `  storm: all ${r.back} devices back (CONNACK 0) ${r.seconds.toFixed(1)} s after the first drop (${r.retries} retried)`,
    );
    const ratio = r.seconds / allowed;
    say(
      `reconnect storm: ${r.seconds.toFixed(1)} s, handshakes alone ${allowed.toFixed(1)} s, ratio ${ratio.toFixed(2)} (goal < 2: ${ratio < 2 ? 'goal met' : 'GOAL MISSED'})`,
    );
    say(ratioLine('memory per device (RSS)', 'KiB', bare.rss / 1024, mem.rss / 1024, { op: '≤', value: 2 }, 1));
    say(ratioLine('  JS heap + external', 'KiB', bare.heap / 1024, mem.heap / 1024, { op: '≤', value: 2 }, 1));
  } finally {
    await server.stop();
  }
}
