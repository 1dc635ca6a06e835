import type { X509Certificate } from 'node:crypto';
import type { PeerCertInfo } from './types.js';

/** The client certificate as events and the device judgement see it, whichever engine read it. */
export function peerCertInfo(leaf: X509Certificate, chainDer: Buffer[]): PeerCertInfo {
  return {
    subject: leaf.subject,
    commonName: /(?:^|\n)CN=([^\n]*)/.exec(leaf.subject)?.[1],
    issuer: leaf.issuer,
    sha1: leaf.fingerprint.replace(/:/g, '').toLowerCase(),
    sha256: leaf.fingerprint256.replace(/:/g, '').toLowerCase(),
    notBefore: new Date(leaf.validFrom).toISOString(),
    notAfter: new Date(leaf.validTo).toISOString(),
    chainDer,
  };
}
