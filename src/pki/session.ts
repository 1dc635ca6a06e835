/**
 * One pass over the store: resolves certificates and keys by id, validating what is on disk and,
 * when writable (holding the lock), generating what is missing or damaged. A read-only session
 * throws NeedsWrite instead, and the store retries under the lock.
 *
 * Damage is repaired where it is: a bad key file gives a new key (and its certificates are
 * re-issued, since they no longer match it); a bad certificate is re-issued; a certificate
 * whose issuer changed key is re-issued because its signature no longer verifies. So whatever
 * was issued under a damaged entry is regenerated too, as soon as it is resolved.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../events/logger.js';
import { toIssued, type Issued } from './issued.js';
import { generateKeyPem, keyShapeProblem } from './keys.js';
import { sha256, writeAtomic, type CertRecord, type Manifest } from './manifest.js';
import { caSpec, windowFits, windowFor, type CertSpec, type KeyRef, type WindowedTemplate } from './specs.js';

export class NeedsWrite extends Error {}

export interface KeyEntry {
  id: string;
  pem: string;
  key: crypto.KeyObject;
  fresh: boolean;
}
export interface Entry {
  id: string;
  cert: crypto.X509Certificate;
  key: KeyEntry;
  issued: Issued;
  issuerId: string | null;
  fresh: boolean;
}

export interface Damage {
  file: string;
  problem: string;
}

type Check<T> = { ok: T } | { problem: string; followOn?: boolean };

export const keyFile = (id: string) => `${id}.key.pem`;
export const certFile = (id: string) => `${id}.crt.pem`;

export class Session {
  private readonly keys = new Map<string, Promise<KeyEntry>>();
  private readonly certs = new Map<string, Promise<Entry>>();
  dirty = false;
  /** What this session generated: keys (the slow part) and certificates. */
  readonly generated = { keys: 0, certs: 0 };
  /** Roots this session issued, with the damage that made a recorded one be replaced (null: first issue). */
  readonly issuedRoots: Array<{ id: string; damage: Damage | null }> = [];
  /** Key files found damaged (the root cause when a certificate then no longer matches its key). */
  private readonly damagedKeys = new Map<string, Damage>();

  constructor(
    private readonly dir: string,
    readonly manifest: Manifest,
    private readonly writable: boolean,
    private readonly log: Logger,
    private readonly known: Map<string, Entry>,
  ) {}

  key(ref: KeyRef): Promise<KeyEntry> {
    return memo(this.keys, ref.id, () => this.loadOrMakeKey(ref));
  }

  cert(spec: CertSpec): Promise<Entry> {
    return memo(this.certs, spec.id, () => this.loadOrIssue(spec));
  }

  ca(id: string): Promise<Entry> {
    return this.cert(caSpec(id));
  }

  /** A leaf or device certificate: the newest stored window that fits validAt, or a new one. */
  windowed(t: WindowedTemplate, validAt: Date): Promise<Entry> {
    const window = t.fixed ?? this.fittingWindow(t, validAt);
    return this.cert(t.spec(window));
  }

  /** Wait for every started operation, so nothing is still writing when the lock is released. */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.keys.values(), ...this.certs.values()]);
  }

  private fittingWindow(t: WindowedTemplate, validAt: Date): { notBefore: Date; notAfter: Date } {
    const fits = Object.values(this.manifest.certs)
      .filter((r) => r.keyId === t.key.id)
      .map((r) => ({ notBefore: new Date(r.notBefore), notAfter: new Date(r.notAfter) }))
      .filter((w) => windowFits(t.status, w.notBefore, w.notAfter, validAt))
      .sort((a, b) => b.notBefore.getTime() - a.notBefore.getTime());
    return fits[0] ?? windowFor(t.status, validAt);
  }

  private async loadOrMakeKey(ref: KeyRef): Promise<KeyEntry> {
    const checked = this.manifest.keys[ref.id] ? await this.checkKey(ref) : null;
    if (checked && 'ok' in checked) return checked.ok;
    this.requireWritable();
    if (checked) this.reportDamage(ref.id, keyFile(ref.id), checked.problem, false);
    if (checked) this.damagedKeys.set(ref.id, { file: keyFile(ref.id), problem: checked.problem });
    const pem = await generateKeyPem(ref.shape);
    await writeAtomic(path.join(this.dir, keyFile(ref.id)), pem, 0o600);
    this.manifest.keys[ref.id] = { file: keyFile(ref.id), sha256: sha256(pem) };
    this.dirty = true;
    this.generated.keys++;
    return { id: ref.id, pem, key: crypto.createPrivateKey(pem), fresh: true };
  }

  private async checkKey(ref: KeyRef): Promise<Check<KeyEntry>> {
    const read = await readChecked(this.dir, keyFile(ref.id), this.manifest.keys[ref.id]!.sha256);
    if ('problem' in read) return read;
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey(read.ok);
    } catch {
      return { problem: 'not a parsable private key PEM' };
    }
    const shape = keyShapeProblem(key, ref.shape);
    return shape ? { problem: shape } : { ok: { id: ref.id, pem: read.ok, key, fresh: false } };
  }

  private async loadOrIssue(spec: CertSpec): Promise<Entry> {
    const cached = this.known.get(spec.id);
    if (cached && !this.writable) return cached;
    const [issuer, key] = await Promise.all([spec.issuerId ? this.ca(spec.issuerId) : null, this.key(spec.key)]);
    const rec = this.manifest.certs[spec.id];
    const checked = rec ? await this.checkCert(spec, rec, key, issuer) : null;
    if (checked && 'ok' in checked) return this.remember(checked.ok);
    this.requireWritable();
    if (checked) this.reportDamage(spec.id, certFile(spec.id), checked.problem, checked.followOn ?? false);
    if (spec.role === 'root') this.issuedRoots.push({ id: spec.id, damage: await this.rootDamage(spec, checked) });
    return this.remember(await this.issue(spec, key, issuer));
  }

  private async checkCert(spec: CertSpec, rec: CertRecord, key: KeyEntry, issuer: Entry | null): Promise<Check<Entry>> {
    if (rec.keyId !== spec.key.id || rec.issuerId !== spec.issuerId)
      return { problem: 'recorded key or issuer differs from the catalog' };
    const read = await readChecked(this.dir, certFile(spec.id), rec.sha256);
    if ('problem' in read) return read;
    let cert: crypto.X509Certificate;
    try {
      cert = new crypto.X509Certificate(read.ok);
    } catch {
      return { problem: 'not a parsable certificate PEM' };
    }
    if (!cert.checkPrivateKey(key.key)) return { problem: `does not match key ${key.id}`, followOn: key.fresh };
    // A self-signed device certificate is no CA (no keyCertSign): OpenSSL's checkIssued() says it
    // did not issue itself, so only its signature is checked.
    const signed = issuer
      ? cert.checkIssued(issuer.cert) && cert.verify(issuer.cert.publicKey)
      : cert.verify(cert.publicKey);
    if (!signed) {
      return { problem: `not signed by the current ${spec.issuerId ?? 'self'}`, followOn: issuer?.fresh ?? false };
    }
    return { ok: this.entry(spec, cert, read.ok, key, false) };
  }

  private async issue(spec: CertSpec, key: KeyEntry, issuer: Entry | null): Promise<Entry> {
    const { issueCertificate } = await import('./generate.js');
    const material = issuer ? { certPem: issuer.issued.certPem, keyPem: issuer.key.pem } : null;
    const pem = await issueCertificate(spec, key.pem, material);
    await writeAtomic(path.join(this.dir, certFile(spec.id)), pem, 0o644);
    this.manifest.certs[spec.id] = {
      file: certFile(spec.id),
      sha256: sha256(pem),
      keyId: key.id,
      issuerId: spec.issuerId,
      notBefore: spec.notBefore.toISOString(),
      notAfter: spec.notAfter.toISOString(),
    };
    this.dirty = true;
    this.generated.certs++;
    this.log.debug({ event: 'pki.issued', id: spec.id }, `issued ${spec.id}`);
    return this.entry(spec, new crypto.X509Certificate(pem), pem, key, true);
  }

  private entry(spec: CertSpec, cert: crypto.X509Certificate, pem: string, key: KeyEntry, fresh: boolean): Entry {
    return {
      id: spec.id,
      cert,
      key,
      issuerId: spec.issuerId,
      fresh,
      issued: toIssued(spec.id, cert, pem, key.pem, key.key),
    };
  }

  private remember(e: Entry): Entry {
    this.known.set(e.id, e);
    return e;
  }

  /**
   * Why a root is issued although one was issued before: its certificate is damaged, or its key
   * file is (the certificate then no longer matches), or it is not recorded although its file is
   * there (manifest.json was lost). Null: issued for the first time.
   */
  private async rootDamage(spec: CertSpec, checked: { problem: string } | null): Promise<Damage | null> {
    const keyDamage = this.damagedKeys.get(spec.key.id);
    if (checked) return keyDamage ?? { file: certFile(spec.id), problem: checked.problem };
    const present = await fs.access(path.join(this.dir, certFile(spec.id))).then(
      () => true,
      () => false,
    );
    return present ? { file: certFile(spec.id), problem: 'not recorded in manifest.json (lost or rewritten)' } : null;
  }

  private requireWritable(): void {
    if (!this.writable) throw new NeedsWrite();
  }

  /** One warn event per damaged file; re-issues that merely follow a repair are info. */
  private reportDamage(id: string, file: string, problem: string, followOn: boolean): void {
    const msg = `${path.join(this.dir, file)}: ${problem}; regenerating ${id} and what it issued`;
    if (followOn) this.log.info({ event: 'pki.reissue', id, file, problem }, msg);
    else this.log.warn({ event: 'pki.repair', id, file, problem }, msg);
  }
}

async function readChecked(dir: string, file: string, expected: string): Promise<Check<string>> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, file), 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return { problem: code === 'ENOENT' ? 'file missing' : `unreadable (${code ?? String(e)})` };
  }
  return sha256(text) === expected
    ? { ok: text }
    : { problem: 'sha256 differs from manifest.json (file changed or truncated)' };
}

function memo<T>(map: Map<string, Promise<T>>, id: string, make: () => Promise<T>): Promise<T> {
  let p = map.get(id);
  if (!p) {
    p = make();
    map.set(id, p);
  }
  return p;
}
