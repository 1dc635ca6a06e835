/**
 * certs/manifest.json: the sha256 of every file the store wrote, what each certificate is
 * (key, issuer, window) and the catalog version. Written last, atomically, after the files.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CATALOG_VERSION } from './catalog.js';

export interface KeyRecord {
  file: string;
  sha256: string;
}
export interface CertRecord {
  file: string;
  sha256: string;
  keyId: string;
  issuerId: string | null;
  notBefore: string;
  notAfter: string;
}
export interface Manifest {
  catalogVersion: number;
  keys: Record<string, KeyRecord>;
  certs: Record<string, CertRecord>;
}

export const MANIFEST = 'manifest.json';

export function emptyManifest(): Manifest {
  return { catalogVersion: CATALOG_VERSION, keys: {}, certs: {} };
}

export function sha256(text: string | Buffer): string {
  return crypto.createHash('sha256').update(text).digest('hex');
}

/** Write via a temp file and rename, so readers see the old or the new file, never half. */
export async function writeAtomic(file: string, data: string, mode: number): Promise<void> {
  const tmp = `${file}.${process.pid}.${crypto.randomBytes(4).toString('hex')}.tmp`;
  const fh = await fs.open(tmp, 'wx', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await fs.rename(tmp, file);
}

export type ManifestLoad = { manifest: Manifest; problem?: string };

/** Read the manifest; an absent one is empty, an unreadable or foreign one is empty with a problem. */
export async function loadManifest(dir: string): Promise<ManifestLoad> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dir, MANIFEST), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { manifest: emptyManifest() };
    return { manifest: emptyManifest(), problem: `${MANIFEST} unreadable: ${(e as Error).message}` };
  }
  return parseManifest(text);
}

function parseManifest(text: string): ManifestLoad {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    return { manifest: emptyManifest(), problem: `${MANIFEST} is not valid JSON (${(e as Error).message})` };
  }
  const m = data as Partial<Manifest> | null;
  if (!m || typeof m !== 'object' || typeof m.keys !== 'object' || typeof m.certs !== 'object' || !m.keys || !m.certs) {
    return { manifest: emptyManifest(), problem: `${MANIFEST} does not have the expected shape` };
  }
  if (m.catalogVersion !== CATALOG_VERSION) {
    return {
      manifest: emptyManifest(),
      problem: `${MANIFEST} was written for catalog version ${String(m.catalogVersion)}, this is ${CATALOG_VERSION}`,
    };
  }
  return { manifest: m as Manifest };
}

export async function saveManifest(dir: string, manifest: Manifest): Promise<void> {
  await writeAtomic(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', 0o600);
}
