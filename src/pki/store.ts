/**
 * PkiStore: the generated test PKI in a directory (default ./certs, env HUBTLS_CERTS_DIR, CLI
 * --certs). Generates lazily what is asked for, reuses it on the next start, detects damaged or
 * partial state and regenerates it (and what it issued), and lets several processes share one
 * directory: generation happens under a lock file, reads need no lock (writes are atomic).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { HubtlsError } from '../errors.js';
import { silentLogger, type Logger } from '../events/logger.js';
import { ROOTS, rootInfos } from './catalog.js';
import { chainInfos, getChain } from './chains.js';
import type { Issued, ServeOptions, ServedChain } from './issued.js';
import { acquireLock, LOCK_FILE } from './lock.js';
import { emptyManifest, loadManifest, MANIFEST, saveManifest, type Manifest } from './manifest.js';
import { reportReplacedRoots, writeRootsReplaced, type ReplacedRoot } from './root-notice.js';
import { NeedsWrite, Session, type Entry } from './session.js';
import { deviceTemplate, leafTemplate, type DeviceCertOptions } from './specs.js';
import type { ChainInfo, RootInfo } from './types.js';

export type { Issued, ServeOptions, ServedChain } from './issued.js';
export type { ChainInfo, RootInfo } from './types.js';
export type { DeviceCertOptions } from './specs.js';

export interface PkiStoreOptions {
  log?: Logger;
  /** How long to wait for another process's generation lock (default 300 s). */
  lockTimeoutMs?: number;
  /** Told when roots issued earlier were replaced (trust exported before breaks); default: a message on stderr. */
  onRootsReplaced?: (dir: string, roots: ReplacedRoot[]) => void;
}

export type DeviceIssued = Issued & { chainPem: string };

/** --certs flag, else HUBTLS_CERTS_DIR, else ./certs. */
export function resolveCertsDir(flag?: string): string {
  return path.resolve(flag ?? process.env.HUBTLS_CERTS_DIR ?? 'certs');
}

/** In-process queue per directory: sessions of this process take the file lock one at a time. */
const dirQueues = new Map<string, Promise<unknown>>();

export class PkiStore {
  private readonly known = new Map<string, Entry>();

  private constructor(
    readonly dir: string,
    private readonly log: Logger,
    private readonly lockTimeoutMs: number,
    private manifest: Manifest,
    private readonly onRootsReplaced: (dir: string, roots: ReplacedRoot[]) => void,
  ) {}

  static async open(dir: string, opts: PkiStoreOptions = {}): Promise<PkiStore> {
    const abs = path.resolve(dir);
    await ensureDir(abs);
    const log = (opts.log ?? silentLogger()).child({ component: 'pki' });
    const { manifest } = await loadManifest(abs);
    return new PkiStore(abs, log, opts.lockTimeoutMs ?? 300_000, manifest, opts.onRootsReplaced ?? writeRootsReplaced);
  }

  /** The chain to serve for an endpoint; generates what is missing. */
  async serve(chainId: string, opts: ServeOptions): Promise<ServedChain> {
    getChain(chainId);
    return this.run((s) => resolveChain(s, chainId, opts));
  }

  /** Resolve several chains in one pass (startup): all keys are generated in parallel. */
  async prepare(requests: Array<{ chainId: string } & ServeOptions>): Promise<void> {
    for (const r of requests) getChain(r.chainId);
    await this.run((s) => Promise.all(requests.map((r) => resolveChain(s, r.chainId, r))));
  }

  async root(id: string): Promise<Issued> {
    return (await this.roots([id]))[0]!;
  }

  /** Several roots in one pass: one lock, one notice if any had to be replaced. */
  async roots(ids: string[]): Promise<Issued[]> {
    const unknown = ids.find((id) => !ROOTS.some((r) => r.id === id));
    if (unknown !== undefined) {
      throw new HubtlsError(
        'HUBTLS_UNKNOWN_ROOT',
        `unknown root '${unknown}'`,
        `hint: use one of ${ROOTS.map((r) => r.id).join(', ')}`,
      );
    }
    const entries = await this.run((s) => Promise.all(ids.map((id) => s.ca(id))));
    return entries.map((e) => e.issued);
  }

  /** A device certificate: CN = deviceId, clientAuth; CA-signed ones chain to device-root-ca. */
  async deviceCert(deviceId: string, opts: DeviceCertOptions = {}): Promise<DeviceIssued> {
    const t = deviceTemplate(deviceId, opts);
    const entry = await this.run((s) => s.windowed(t, referenceTime(opts.validAt)));
    return this.withChain(entry);
  }

  /** Every device certificate in the store that is intact (for export). */
  async listDeviceCerts(): Promise<DeviceIssued[]> {
    const load = await loadManifest(this.dir);
    if (!load.problem) this.manifest = load.manifest;
    const ids = Object.keys(this.manifest.certs).filter((id) => id.startsWith('device.'));
    const found = await Promise.all(ids.map((id) => this.existing(id)));
    return Promise.all(found.filter((e): e is Entry => e !== null).map((e) => this.withChain(e)));
  }

  /**
   * Wipe the files the store owns (those its manifest names, temp files, the manifest) and start
   * over; certificates are generated again on use. Other files in the directory are left alone.
   */
  async regenerate(): Promise<void> {
    await this.locked(async () => {
      const { manifest } = await loadManifest(this.dir);
      const recorded = new Set([...Object.values(manifest.keys), ...Object.values(manifest.certs)].map((r) => r.file));
      const ours = (await fs.readdir(this.dir)).filter((n) => recorded.has(n) || n.endsWith('.tmp') || n === MANIFEST);
      await Promise.all(ours.map((n) => fs.rm(path.join(this.dir, n), { force: true })));
      this.manifest = emptyManifest();
      this.known.clear();
      await saveManifest(this.dir, this.manifest);
      this.log.info(
        { event: 'pki.regenerated', dir: this.dir, removed: ours.length },
        `wiped ${ours.length} files in ${this.dir}`,
      );
    });
  }

  /** Catalog view (no generation): every chain id, including defect fixtures. */
  listChains(): ChainInfo[] {
    return chainInfos();
  }

  /** Catalog view (no generation): every root, Azure stand-ins and test-only ones. */
  listRoots(): RootInfo[] {
    return rootInfos();
  }

  private async withChain(e: Entry): Promise<DeviceIssued> {
    const issuer = e.issuerId ? await this.root(e.issuerId) : null;
    return { ...e.issued, chainPem: e.issued.certPem + (issuer?.certPem ?? '') };
  }

  /** Validate an entry as recorded, without generating; null if it is not intact. */
  private async existing(id: string): Promise<Entry | null> {
    const rec = this.manifest.certs[id];
    if (!rec) return null;
    const t = id.startsWith('device.') ? recordedDeviceSpec(id, rec.keyId, rec.issuerId) : null;
    if (!t) return null;
    const window = { notBefore: new Date(rec.notBefore), notAfter: new Date(rec.notAfter) };
    return this.session(false)
      .cert({ ...t.spec(window), id })
      .catch(() => null);
  }

  /** Try read-only first; if anything must be written, take the lock and redo it writable. */
  private async run<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    try {
      return await fn(this.session(false));
    } catch (e) {
      if (!(e instanceof NeedsWrite)) throw e;
    }
    return this.locked(() => this.writableRun(fn));
  }

  private async writableRun<T>(fn: (s: Session) => Promise<T>): Promise<T> {
    const load = await loadManifest(this.dir);
    if (load.problem)
      this.log.warn(
        { event: 'pki.repair', file: MANIFEST, problem: load.problem },
        `${path.join(this.dir, MANIFEST)}: ${load.problem}; regenerating what is used`,
      );
    this.manifest = load.manifest;
    await removeTempFiles(this.dir);
    const s = this.session(true);
    const t0 = performance.now();
    try {
      return await fn(s);
    } finally {
      await s.settle();
      if (s.dirty) await saveManifest(this.dir, this.manifest);
      if (s.dirty) this.logGenerated(s, performance.now() - t0);
      reportReplacedRoots(s.issuedRoots, this.dir, this.log, this.onRootsReplaced);
    }
  }

  private logGenerated(s: Session, ms: number): void {
    const { keys, certs } = s.generated;
    this.log.info(
      { event: 'pki.generated', dir: this.dir, keys, certs, ms: Math.round(ms) },
      `generated ${keys} keys and ${certs} certificates in ${this.dir} (${Math.round(ms)} ms)`,
    );
  }

  private session(writable: boolean): Session {
    return new Session(this.dir, this.manifest, writable, this.log, this.known);
  }

  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const prev = dirQueues.get(this.dir) ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(() => this.underFileLock(fn));
    dirQueues.set(this.dir, next);
    return next;
  }

  private async underFileLock<T>(fn: () => Promise<T>): Promise<T> {
    const release = await asDirError(
      this.dir,
      acquireLock(path.join(this.dir, LOCK_FILE), this.lockTimeoutMs, this.log),
    );
    try {
      return await asDirError(this.dir, fn());
    } finally {
      await release();
    }
  }
}

/** Under the lock nobody else is writing: any temp file is left over from a crash. */
async function removeTempFiles(dir: string): Promise<void> {
  const names = (await fs.readdir(dir)).filter((n) => n.endsWith('.tmp'));
  await Promise.all(names.map((n) => fs.rm(path.join(dir, n), { force: true })));
}

function referenceTime(validAt: Date | undefined): Date {
  if (validAt === undefined) return new Date();
  if (validAt instanceof Date && !Number.isNaN(validAt.getTime())) return validAt;
  throw new HubtlsError('HUBTLS_BAD_VALID_AT', `validAt is not a valid date: ${String(validAt)}`);
}

async function resolveChain(s: Session, chainId: string, opts: ServeOptions): Promise<ServedChain> {
  const chain = getChain(chainId);
  const t = leafTemplate(chainId, opts.kind, opts.generation);
  const [leaf, intermediates, root] = await Promise.all([
    s.windowed(t, referenceTime(opts.validAt)),
    Promise.all(chain.served.map((id) => s.ca(id))),
    s.ca(chain.rootId),
  ]);
  const served = [leaf, ...intermediates].map((e) => e.issued);
  return {
    chainId,
    leaf: leaf.issued,
    intermediates: intermediates.map((e) => e.issued),
    root: root.issued,
    certPem: served.map((i) => i.certPem).join(''),
    keyPem: leaf.issued.keyPem,
    keyType: leaf.issued.keyType,
    description: chain.description,
  };
}

/** Rebuild a device template from its recorded ids (device.<id>.<signer>.<keyType>). */
function recordedDeviceSpec(id: string, keyId: string, issuerId: string | null) {
  const m = /^device\.(.+)\.(ca|self)\.(rsa|ec)$/.exec(keyId);
  if (!m || (m[2] === 'ca') !== (issuerId !== null)) return null;
  const deviceId = decodeURIComponent(m[1]!.replace(/~/g, '%'));
  try {
    return deviceTemplate(deviceId, { signer: m[2] as 'ca' | 'self', keyType: m[3] as 'rsa' | 'ec' });
  } catch {
    return null;
  }
}

/** Filesystem trouble in the certs dir becomes HUBTLS_CERTS_DIR; other errors pass through. */
async function asDirError<T>(dir: string, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (e) {
    throw dirError(dir, e);
  }
}

const DIR_REASONS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way (not a directory)',
  EEXIST: 'a file is in the way (not a directory)',
};

function dirError(dir: string, e: unknown): unknown {
  const reason = DIR_REASONS[(e as NodeJS.ErrnoException).code ?? ''];
  if (!reason) return e;
  return new HubtlsError(
    'HUBTLS_CERTS_DIR',
    `cannot write certs dir ${dir}: ${reason} (${(e as Error).message})`,
    'hint: pass a writable directory with --certs DIR (or HUBTLS_CERTS_DIR), or fix its permissions',
    { cause: e },
  );
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    const st = await fs.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    await fs.access(dir, fs.constants.R_OK | fs.constants.W_OK | fs.constants.X_OK);
  } catch (e) {
    throw dirError(dir, e);
  }
}
