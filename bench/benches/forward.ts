/**
 * Forward throughput: MB/s from a client through hubtls's `forward` mode (device TLS terminated
 * with the emulated profile and chain, a second TLS connection to the upstream, bytes piped both
 * ways, session events on) versus a bare Node TLS pipe doing the same (bench/bare-pipe.mjs), to
 * the same upstream sink (bench/upstream-sink.mjs), which answers one byte once it has everything.
 * Goal: hubtls ≥ 0.8 × bare.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { startBarePipe, startHubtls, startLoad, startPlain, type Server } from '../lib/procs.js';
import { bareConfig, BENCH_CERTS, BENCH_SNI, BENCH_SUITE } from '../lib/setup.js';
import { median, ratioLine, say } from '../lib/stats.js';

const ROUNDS = 3;
const CONNECTIONS = 4;
const BYTES = 32 * 1024 * 1024;

/** The default hub endpoint, forwarding to the sink (which presents the same test chain). */
function forwardScenario(dir: string, upstreamPort: number): string {
  const file = path.join(dir, 'forward.yaml');
  const endpoint = {
    name: 'hub',
    kind: 'iothub',
    hostnames: ['*.azure-devices.net'],
    profile: 'iothub-2025',
    chain: 'g2',
    after: { mode: 'forward', upstream: { host: '127.0.0.1', port: upstreamPort, insecure: true } },
  };
  writeFileSync(file, stringify({ name: 'bench-forward', endpoints: [endpoint] }));
  return file;
}

async function measure(server: Server): Promise<number> {
  const load = startLoad({
    kind: 'stream',
    port: server.port,
    servername: BENCH_SNI,
    ciphers: BENCH_SUITE,
    connections: CONNECTIONS,
    bytes: BYTES,
  });
  const r = await load.next<{ mbPerSecond: number; seconds: number }>('result');
  await load.done;
  return r.mbPerSecond;
}

export async function forwardBench(): Promise<void> {
  say(
    `== forward: ${CONNECTIONS} connections × ${BYTES / 2 ** 20} MiB each, client → proxy (TLS, ${BENCH_SUITE}) → upstream sink (TLS), ${ROUNDS} rounds alternating`,
  );
  const bareFile = await bareConfig();
  const dir = path.dirname(bareFile);
  const tlsOptions = (JSON.parse(readFileSync(bareFile, 'utf8')) as { tls: object }).tls;
  const sinkFile = path.join(dir, 'sink.json');
  writeFileSync(sinkFile, JSON.stringify({ tls: { ...tlsOptions, requestCert: false }, expect: BYTES }));
  const sink = await startPlain('bench/upstream-sink.mjs', [sinkFile]);
  const pipeFile = path.join(dir, 'pipe.json');
  writeFileSync(
    pipeFile,
    JSON.stringify({ tls: tlsOptions, upstream: { host: '127.0.0.1', port: sink.port, servername: BENCH_SNI } }),
  );
  const scenario = forwardScenario(dir, sink.port);
  const bare: number[] = [];
  const hub: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, list] of [
      ['bare', bare],
      ['hubtls', hub],
    ] as const) {
      const server = name === 'bare' ? await startBarePipe(pipeFile) : await startHubtls(scenario, BENCH_CERTS);
      list.push(await measure(server));
      await server.stop();
      say(`  round ${i + 1} ${name.padEnd(6)} ${list.at(-1)!.toFixed(0)} MB/s`);
    }
  }
  await sink.stop();
  say(ratioLine('forward throughput', 'MB/s', median(bare), median(hub), { op: '≥', value: 0.8 }));
}
