/** The public shape of one stored certificate + key, built from their PEM text. */
import crypto from 'node:crypto';
import { keyBits } from './keys.js';

export interface Issued {
  id: string;
  certPem: string;
  keyPem: string;
  der: Buffer;
  /** One line, encoding order: "C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root G2". */
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** Hex, no colons, lowercase. */
  fingerprint256: string;
  fingerprint1: string;
  keyType: 'rsa' | 'ec';
  keyBits: number;
}

export interface ServedChain {
  chainId: string;
  leaf: Issued;
  /** Served intermediates in served order (may be empty, e.g. missing-intermediate). */
  intermediates: Issued[];
  /** Known, never served: the anchor of the path (see ChainDef.rootId). */
  root: Issued;
  /** leaf+intermediates PEM in served order */
  certPem: string;
  keyPem: string;
  keyType: 'rsa' | 'ec';
  description: string;
}

export interface ServeOptions {
  kind: 'iothub' | 'dps';
  /** Leaf generation (≥ 1, default 1): a new generation has a new key and serial, same names. */
  generation?: number;
  /** Reference instant for the leaf's validity window (default: now). */
  validAt?: Date;
}

const oneLine = (name: string) => name.split('\n').join(', ');
const hex = (fp: string) => fp.replace(/:/g, '').toLowerCase();

export function toIssued(
  id: string,
  cert: crypto.X509Certificate,
  certPem: string,
  keyPem: string,
  key: crypto.KeyObject,
): Issued {
  return {
    id,
    certPem,
    keyPem,
    der: cert.raw,
    subject: oneLine(cert.subject),
    issuer: oneLine(cert.issuer),
    notBefore: new Date(cert.validFrom),
    notAfter: new Date(cert.validTo),
    fingerprint256: hex(cert.fingerprint256),
    fingerprint1: hex(cert.fingerprint),
    keyType: key.asymmetricKeyType === 'ec' ? 'ec' : 'rsa',
    keyBits: keyBits(key),
  };
}
