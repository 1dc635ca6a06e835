/**
 * Shared test PKI: every test file opens the same store under the OS temp dir, through the
 * lock-safe PkiStore, so the (slow, RSA-4096) PKI is generated at most once per machine and
 * catalog version, whichever file gets there first.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CATALOG_VERSION } from '../../src/pki/catalog.js';
import { createLogger, type Logger } from '../../src/events/logger.js';
import { PkiStore, type ServedChain } from '../../src/pki/store.js';

export const SHARED_DIR = path.join(os.tmpdir(), `hubtls-test-certs-v${CATALOG_VERSION}`);

export function sharedStore(log?: Logger): Promise<PkiStore> {
  return PkiStore.open(SHARED_DIR, log ? { log } : {});
}

export interface LogEvent {
  level: number;
  msg: string;
  event?: string;
  [k: string]: unknown;
}

/** A debug-level logger that keeps every event, for assertions on what was logged. */
export function captureLog(): { log: Logger; events: LogEvent[] } {
  const events: LogEvent[] = [];
  const log = createLogger({
    level: 'debug',
    destination: { write: (s: string) => void events.push(JSON.parse(s) as LogEvent) },
  });
  return { log, events };
}

export const warnings = (events: LogEvent[]) => events.filter((e) => e.level === 40);
export const issuedIds = (events: LogEvent[]) =>
  events.filter((e) => e.event === 'pki.issued').map((e) => String(e.id));

/** A fresh temp dir, removed when the test ends. */
export async function tempDir(
  t: { teardown: (fn: () => Promise<void>) => void },
  prefix = 'hubtls-pki-',
): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Copy a store's manifest and the files it names (no lock, no temp files) into `to`. */
export async function copyStore(from: string, to: string): Promise<void> {
  const manifest = await fs.readFile(path.join(from, 'manifest.json'), 'utf8');
  const m = JSON.parse(manifest) as { keys: Record<string, { file: string }>; certs: Record<string, { file: string }> };
  const files = [...Object.values(m.keys), ...Object.values(m.certs)].map((r) => r.file);
  await Promise.all(files.map((f) => fs.copyFile(path.join(from, f), path.join(to, f))));
  await fs.writeFile(path.join(to, 'manifest.json'), manifest);
}

/** Each certificate is issued by the next (name and signature) and the root is self-signed. */
export function chainVerifies(chain: Pick<ServedChain, 'leaf' | 'intermediates' | 'root'>): boolean {
  const certs = [chain.leaf, ...chain.intermediates, chain.root].map((i) => new crypto.X509Certificate(i.certPem));
  const links = certs.slice(0, -1).every((c, i) => c.checkIssued(certs[i + 1]!) && c.verify(certs[i + 1]!.publicKey));
  const root = certs.at(-1)!;
  return links && root.checkIssued(root) && root.verify(root.publicKey);
}

export function publicKeyOf(certPem: string): string {
  return new crypto.X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'pem' }).toString();
}
