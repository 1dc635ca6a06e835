/**
 * Resolves an endpoint's chain source (catalog id or user PEM files) into the material the TLS
 * layer loads. Catalog chains come from the PKI store (generated on first use). Used by the scenario
 * runtime and by faults that serve catalog chains, hence here below both.
 */
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { HubtlsError } from '../errors.js';
import type { PkiStore } from './store.js';
import type { ChainMaterial, ChainSource } from './types.js';

export interface ChainRequest {
  source: ChainSource;
  kind: 'iothub' | 'dps';
  generation: number;
  validAt: Date;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function sha256(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '').toLowerCase();
}

function readPem(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new HubtlsError(
      'HUBTLS_CHAIN_FILE',
      `cannot read ${what} ${path}: ${(e as Error).message}`,
      'fix the path in the scenario (relative paths are relative to the scenario file)',
    );
  }
}

function userChain(files: { cert: string; key: string; ca?: string }): ChainMaterial {
  const certPem = readPem(files.cert, 'certificate file');
  const pems = certPem.match(PEM_CERT) ?? [];
  if (pems.length === 0)
    throw new HubtlsError(
      'HUBTLS_CHAIN_FILE',
      `${files.cert} contains no PEM certificate`,
      'the file must hold the leaf first, then intermediates',
    );
  const leaf = new X509Certificate(pems[0]!);
  const root = files.ca
    ? new X509Certificate(readPem(files.ca, 'CA file'))
    : new X509Certificate(pems[pems.length - 1]!);
  return {
    chainId: `file:${files.cert}`,
    certPem,
    keyPem: readPem(files.key, 'key file'),
    keyType: leaf.publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa',
    leafSha256: sha256(leaf),
    rootName: files.ca ? root.subject.replace(/\n/g, ', ') : root.issuer.replace(/\n/g, ', '),
  };
}

export async function resolveChain(req: ChainRequest, pki: PkiStore): Promise<ChainMaterial> {
  if ('files' in req.source) return userChain(req.source.files);
  const served = await pki.serve(req.source.catalog, {
    kind: req.kind,
    generation: req.generation,
    validAt: req.validAt,
  });
  return {
    chainId: served.chainId,
    certPem: served.certPem,
    keyPem: served.keyPem,
    keyType: served.keyType,
    leafSha256: served.leaf.fingerprint256,
    rootName: served.root.subject,
  };
}

/** A chain source in words: its catalog id, or `file:` and the certificate file. */
export function describeChainSource(s: ChainSource): string {
  return 'catalog' in s ? s.catalog : `file:${s.files.cert}`;
}
