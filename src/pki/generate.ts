/**
 * Certificate issuing with @peculiar/x509 over Node's WebCrypto. Loaded lazily by the store:
 * a warm start that only reads certs/ never pays for importing it.
 */
import 'reflect-metadata';
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { importSigningKey, spkiDer, webCryptoAlgorithm } from './keys.js';
import type { CertSpec } from './specs.js';
import { extraExtensions } from './extras.js';
import type { DnPart } from './types.js';

x509.cryptoProvider.set(crypto.webcrypto as Crypto);

export interface IssuerMaterial {
  certPem: string;
  keyPem: string;
}

/** Issue the certificate described by `spec` for `subjectKeyPem`; self-signed when issuer is null. */
export async function issueCertificate(
  spec: CertSpec,
  subjectKeyPem: string,
  issuer: IssuerMaterial | null,
): Promise<string> {
  const publicKey = spkiDer(subjectKeyPem);
  const signer = issuer ?? { certPem: '', keyPem: subjectKeyPem };
  const issuerName = issuer ? new x509.X509Certificate(issuer.certPem).subjectName : toName(spec.subject);
  const issuerSpki = issuer ? spkiDer(issuer.keyPem) : null;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(spec.extras?.serialBytes),
    subject: toName(spec.subject),
    issuer: issuerName,
    notBefore: spec.notBefore,
    notAfter: spec.notAfter,
    publicKey,
    signingKey: await importSigningKey(signer.keyPem, spec.signature),
    signingAlgorithm: webCryptoAlgorithm(spec.signature),
    extensions: await extensionsFor(spec, publicKey, issuerSpki),
  });
  return cert.toString('pem') + '\n';
}

/** Random positive serial number of `length` bytes (hex, high bit clear, first byte non-zero). */
export function randomSerial(length = 16): string {
  const bytes = crypto.randomBytes(length);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

function toName(dn: readonly DnPart[]): x509.Name {
  return new x509.Name(dn.map(([k, v]) => ({ [k]: [v] })));
}

const KU = x509.KeyUsageFlags;
const CA_USAGE = KU.keyCertSign | KU.cRLSign | KU.digitalSignature;

async function extensionsFor(
  spec: CertSpec,
  spki: Uint8Array<ArrayBuffer>,
  issuerSpki: Uint8Array<ArrayBuffer> | null,
): Promise<x509.Extension[]> {
  const ext: x509.Extension[] = [await x509.SubjectKeyIdentifierExtension.create(spki)];
  if (issuerSpki) ext.push(await x509.AuthorityKeyIdentifierExtension.create(issuerSpki));
  return [...roleExtensions(spec), ...ext, ...extraExtensions(spec.extras)];
}

function roleExtensions(spec: CertSpec): x509.Extension[] {
  const endEntityUsage = KU.digitalSignature | (spec.key.shape.type === 'rsa' ? KU.keyEncipherment : 0);
  switch (spec.role) {
    case 'root':
      return [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(CA_USAGE, true)];
    case 'issuing-ca':
      return [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(CA_USAGE, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      ];
    case 'tls-leaf':
      return [
        new x509.BasicConstraintsExtension(false),
        new x509.KeyUsagesExtension(endEntityUsage, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(sanEntries(spec)),
      ];
    case 'device':
      return [
        new x509.BasicConstraintsExtension(false),
        new x509.KeyUsagesExtension(endEntityUsage, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
      ];
  }
}

function sanEntries(spec: CertSpec): x509.JsonGeneralNames {
  const san = spec.san ?? { dns: [], ip: [] };
  return [
    ...san.dns.map((value) => ({ type: 'dns' as const, value })),
    ...san.ip.map((value) => ({ type: 'ip' as const, value })),
  ];
}
