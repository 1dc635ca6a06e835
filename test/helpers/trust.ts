/**
 * The stand-in roots as a device gets them (`hubtls certs export`), exported once per test file,
 * plus CA files that combine several roots (a device trusting "Baltimore and G2").
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportTrust } from '../../src/pki/export.js';
import { sharedStore } from './pki.js';

export interface Trust {
  /** Path of an exported PEM file by stem, e.g. 'digicert-global-root-g2'. */
  file(stem: string): string;
  pem(stem: string): string;
  /** A CA file holding several exported roots. */
  combined(...stems: string[]): string;
}

export const ROOT = {
  baltimore: 'baltimore-cybertrust-root',
  g2: 'digicert-global-root-g2',
  g3: 'digicert-global-root-g3',
  msrsa2017: 'microsoft-rsa-root-ca-2017',
  untrusted: 'hubtls-untrusted-root-ca',
  bundle: 'azure-roots-bundle',
  legacyBundle: 'azure-roots-legacy-bundle',
} as const;

export async function exportedTrust(): Promise<Trust> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-trust-'));
  await exportTrust(await sharedStore(), { out: dir, format: 'pem', include: ['roots', 'bundles'] });
  const file = (stem: string) => path.join(dir, `${stem}.pem`);
  const pem = (stem: string) => readFileSync(file(stem), 'utf8');
  return {
    file,
    pem,
    combined: (...stems) => {
      const out = path.join(dir, `combined-${stems.join('+')}.pem`);
      writeFileSync(out, stems.map(pem).join(''));
      return out;
    },
  };
}
