/**
 * `hubtls certs export`: what a device under test needs to trust the stand-ins (every root,
 * the Azure bundles) and the device certificates it may present, as PEM, DER or a C header,
 * with a README.txt saying what each file is.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { HubtlsError } from '../errors.js';
import { AZURE_LEGACY_BUNDLE, AZURE_TRUST_BUNDLE } from './catalog.js';
import { cName, renderCHeader } from './c-header.js';
import { deviceFiles } from './export-devices.js';
import { PKCS12_PASSWORD } from './pkcs12-password.js';
import type { Issued, PkiStore, RootInfo } from './store.js';

export type ExportFormat = 'pem' | 'der' | 'c-header';
export type ExportPart = 'roots' | 'bundles' | 'devices';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['pem', 'der', 'c-header'];

export interface ExportOptions {
  out: string;
  format: ExportFormat;
  /** What to write (default all): every root, the two Azure bundles, the existing device certs. */
  include?: ExportPart[];
}

interface OutFile {
  name: string;
  data: string | Buffer;
  about: string;
  secret?: boolean;
}
interface Root {
  info: RootInfo;
  issued: Issued;
}

const BUNDLES = [
  {
    file: 'azure-roots-bundle',
    ids: AZURE_TRUST_BUNDLE,
    about: 'bundle a device should trust today: G2, MS RSA 2017, G3, MS ECC 2017',
  },
  {
    file: 'azure-roots-legacy-bundle',
    ids: AZURE_LEGACY_BUNDLE,
    about: 'the same plus Baltimore CyberTrust Root (devices from before the 2023 migration)',
  },
];

/** Write the export into opts.out; returns the absolute paths written. */
export async function exportTrust(store: PkiStore, opts: ExportOptions): Promise<string[]> {
  const include = new Set<ExportPart>(opts.include ?? ['roots', 'bundles', 'devices']);
  const infos = store.listRoots();
  const issued = await store.roots(infos.map((r) => r.id));
  const roots = infos.map((info, i) => ({ info, issued: issued[i]! }));
  const files = opts.format === 'c-header' ? [headerFile(roots, include)] : trustFiles(roots, include, opts.format);
  // node-forge (PKCS#12) is a fifth of the bundled CLI: loaded only when device files are written.
  if (include.has('devices')) {
    const { toPkcs12 } = await import('./pkcs12.js');
    files.push(...deviceFiles(await store.listDeviceCerts(), toPkcs12));
  }
  files.push(readme(files, opts.format));
  return writeAll(path.resolve(opts.out), files);
}

function trustFiles(roots: Root[], include: Set<ExportPart>, format: 'pem' | 'der'): OutFile[] {
  const files: OutFile[] = [];
  if (include.has('roots')) {
    for (const r of roots) {
      const data = format === 'pem' ? r.issued.certPem : r.issued.der;
      files.push({ name: `${r.info.fileName}.${format}`, data, about: `root '${r.info.id}': ${r.info.description}` });
    }
  }
  if (include.has('bundles')) {
    for (const b of BUNDLES)
      files.push({ name: `${b.file}.pem`, data: bundlePem(roots, b.ids), about: `PEM ${b.about}` });
  }
  return files;
}

function bundlePem(roots: Root[], ids: readonly string[]): string {
  return ids.map((id) => roots.find((r) => r.info.id === id)!.issued.certPem).join('');
}

function headerFile(roots: Root[], include: Set<ExportPart>): OutFile {
  const headerRoots = include.has('roots')
    ? roots.map((r) => ({ name: cName(r.info.fileName), id: r.info.id, issued: r.issued }))
    : [];
  const bundles = include.has('bundles')
    ? BUNDLES.map((b) => ({ name: cName(b.file), comment: b.about, pem: bundlePem(roots, b.ids) }))
    : [];
  return {
    name: 'hubtls_roots.h',
    data: renderCHeader(headerRoots, bundles),
    about:
      'C header: HUBTLS_<ROOT>_PEM / _DER / _DER_LEN for every root, HUBTLS_AZURE_ROOTS_BUNDLE_PEM and HUBTLS_AZURE_ROOTS_LEGACY_BUNDLE_PEM',
  };
}

function readme(files: OutFile[], format: ExportFormat): OutFile {
  const width = Math.max(...files.map((f) => f.name.length), 10);
  const text = [
    'hubtls certs export',
    '',
    'TEST-ONLY stand-ins for the certificates Azure IoT Hub and DPS present: same subject names,',
    'key types and signature algorithms as the real ones, but generated keys. A device that trusts',
    'these trusts hubtls; never install them in a production trust store.',
    `Format: ${format}.${format === 'der' ? ' Bundles are PEM (DER holds one certificate).' : ''}`,
    `PKCS#12 files use the password '${PKCS12_PASSWORD}'.`,
    'Leaves served by hubtls also name localhost, 127.0.0.1 and ::1 so local clients pass hostname checks.',
    '',
    ...files.map((f) => `${f.name.padEnd(width)}  ${f.about}`),
    '',
  ].join('\n');
  return { name: 'README.txt', data: text, about: 'this file' };
}

async function writeAll(out: string, files: OutFile[]): Promise<string[]> {
  try {
    return await Promise.all(
      files.map(async (f) => {
        const file = path.join(out, f.name);
        const mode = f.secret ? 0o600 : 0o644;
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(file, f.data, { mode });
        await fs.chmod(file, mode); // an existing file keeps its old mode otherwise
        return file;
      }),
    );
  } catch (e) {
    throw new HubtlsError(
      'HUBTLS_EXPORT_DIR',
      `cannot write export dir ${out}: ${(e as Error).message}`,
      'hint: pass a writable directory with --out DIR',
      { cause: e },
    );
  }
}
