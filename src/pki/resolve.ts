/**
 * Resolves an endpoint's chain source (catalog id or user PEM files) into the material the TLS
 * layer loads. Catalog chains come from the PKI store (generated on first use). Used by the scenario
 * runtime and by faults that serve catalog chains, hence here below both.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { HubtlsError } from '../errors.js';
import type { PkiStore } from './store.js';
import { isWeighted, type ChainMaterial, type ChainSource, type ServedChainSource } from './types.js';

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

const FILES_HINT = 'key: must be the unencrypted PEM private key of the first certificate in cert:';

function chainFileError(message: string, hint = FILES_HINT): HubtlsError {
  return new HubtlsError('HUBTLS_CHAIN_FILE', message, hint);
}

function parseCert(pem: string, where: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (e) {
    throw chainFileError(
      `${where} is not a parsable certificate (${(e as Error).message})`,
      'the file must hold PEM certificates',
    );
  }
}

/**
 * The key must parse and pair with the leaf: otherwise the listener binds and every handshake
 * fails with HUBTLS_HANDSHAKE_FAILED, far from the cause.
 */
function checkKey(keyPem: string, leaf: X509Certificate, files: { cert: string; key: string }): void {
  let key: KeyObject;
  try {
    key = createPrivateKey(keyPem);
  } catch (e) {
    throw chainFileError(`key file ${files.key} holds no usable private key (${(e as Error).message})`);
  }
  if (!leaf.checkPrivateKey(key))
    throw chainFileError(
      `key file ${files.key} does not match the certificate in ${files.cert} ` +
        `(${leaf.subject.replace(/\n/g, ', ')}: its public key is not this key's)`,
    );
}

/** Reads and checks an endpoint's own chain files (no PKI involved): `hubtls check`, start and reload. */
export function chainFromFiles(files: { cert: string; key: string; ca?: string }): ChainMaterial {
  const certPem = readPem(files.cert, 'certificate file');
  const pems = certPem.match(PEM_CERT) ?? [];
  if (pems.length === 0)
    throw chainFileError(
      `${files.cert} contains no PEM certificate`,
      'the file must hold the leaf first, then intermediates',
    );
  const leaf = parseCert(pems[0]!, `the first certificate in ${files.cert}`);
  const keyPem = readPem(files.key, 'key file');
  checkKey(keyPem, leaf, files);
  const root = files.ca
    ? parseCert(readPem(files.ca, 'CA file'), `CA file ${files.ca}`)
    : parseCert(pems[pems.length - 1]!, `the last certificate in ${files.cert}`);
  return {
    chainId: `file:${files.cert}`,
    certPem,
    keyPem,
    keyType: leaf.publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa',
    leafSha256: sha256(leaf),
    rootName: files.ca ? root.subject.replace(/\n/g, ', ') : root.issuer.replace(/\n/g, ', '),
  };
}

export async function resolveChain(req: ChainRequest, pki: PkiStore): Promise<ChainMaterial> {
  if ('files' in req.source) return chainFromFiles(req.source.files);
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

/** A chain source in words: its catalog id, `file:` and the certificate file, or the weighted mix. */
export function describeChainSource(s: ServedChainSource): string {
  if (isWeighted(s)) {
    const mix = s.weighted.map((w) => `${describeChainSource(w.source)} ${w.weight}`).join(', ');
    return `weighted(${mix}${s.seed === undefined ? '' : `; seed ${s.seed}`})`;
  }
  return 'catalog' in s ? s.catalog : `file:${s.files.cert}`;
}
