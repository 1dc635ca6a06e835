/**
 * What every server bench needs: a current build (benches run `hubtls` as users do, from dist/),
 * a warm certificate store, and for the baseline the very chain and key hubtls serves.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PkiStore } from '../../src/pki/store.js';
import { resolveChain } from '../../src/pki/resolve.js';
import { AZURE_GROUPS } from '../../src/profiles/recommended.js';
import { ROOT, startLoad, type LoadChild } from './procs.js';

/** The suite every handshake bench negotiates: TLS 1.2 ECDHE-RSA, as most device SDKs do. */
export const BENCH_SUITE = 'ECDHE-RSA-AES128-GCM-SHA256';
export const BENCH_SNI = 'bench-device.azure-devices.net';
export const DEFAULT_SCENARIO = path.join(ROOT, 'scenarios/default.yaml');
/** The default scenario with `after: hold` (see the file): what the handshake and idle benches run. */
export const BENCH_SCENARIO = path.join(ROOT, 'bench/scenario.yaml');
export const BENCH_CERTS = path.join(os.tmpdir(), 'hubtls-bench-certs');

export function build(): void {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
}

/**
 * Config for bench/bare-server.mjs: the default scenario's hub chain (g2) and key, the suite, the
 * Azure key-exchange groups and a client-certificate request, exactly what hubtls's context has.
 */
export async function bareConfig(): Promise<string> {
  const pki = await PkiStore.open(BENCH_CERTS);
  const chain = await resolveChain(
    { source: { catalog: 'g2' }, kind: 'iothub', generation: 1, validAt: new Date() },
    pki,
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-bench-'));
  const file = path.join(dir, 'bare.json');
  const options = {
    cert: chain.certPem,
    key: chain.keyPem,
    ciphers: BENCH_SUITE,
    minVersion: 'TLSv1.2',
    maxVersion: 'TLSv1.2',
    ecdhCurve: AZURE_GROUPS.join(':'),
    requestCert: true,
    rejectUnauthorized: false,
  };
  writeFileSync(file, JSON.stringify({ tls: options }));
  return file;
}

/** Full TLS handshakes at a steady concurrency ('rate' job of bench/load.ts), with the bench's SNI and suite. */
export function startRateLoad(
  port: number,
  o: { concurrency: number; durationMs: number; warmupMs: number; resume: boolean; servername?: string },
): LoadChild {
  return startLoad({ kind: 'rate', port, servername: BENCH_SNI, ciphers: BENCH_SUITE, ...o });
}
