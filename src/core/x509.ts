/**
 * X.509 device authentication as IoT Hub judges it after TLS: the certificate the device sent in
 * the handshake (requested, not required) either matches a registered thumbprint, or has
 * CN = device id and chains to a registered CA. Validity is checked against the scenario clock.
 */
import crypto from 'node:crypto';
import type { PeerCertInfo } from '../tls/engines/types.js';

export type CertVerdict = { ok: true; detail: string } | { ok: false; reason: string };

const MAX_DEPTH = 6;

function validAt(c: crypto.X509Certificate, now: Date): string | undefined {
  const from = new Date(c.validFrom);
  const to = new Date(c.validTo);
  const cn = /CN=([^\n,]*)/.exec(c.subject)?.[1] ?? c.subject;
  if (now < from)
    return `certificate '${cn}' is not valid before ${from.toISOString()} (scenario time ${now.toISOString()})`;
  if (now > to) return `certificate '${cn}' expired at ${to.toISOString()} (scenario time ${now.toISOString()})`;
  return undefined;
}

function signs(issuer: crypto.X509Certificate, child: crypto.X509Certificate): boolean {
  try {
    return child.checkIssued(issuer) && child.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

export function noCertificate(what: string): CertVerdict {
  return { ok: false, reason: `${what} authenticates with X.509 but sent no client certificate in the TLS handshake` };
}

/** Self-signed (or any) certificate registered by SHA-1 or SHA-256 thumbprint, primary or secondary. */
export function judgeThumbprint(
  peer: PeerCertInfo | undefined,
  registered: Array<string | undefined>,
  now: Date,
  what: string,
): CertVerdict {
  if (!peer) return noCertificate(what);
  const known = registered.filter((t): t is string => !!t);
  const hit = known.find((t) => t === peer.sha1 || t === peer.sha256);
  if (!hit) {
    return {
      ok: false,
      reason: `Thumbprint does not match configuration: Thumbprint: SHA1Hash=${peer.sha1.toUpperCase()}, SHA2Hash=${peer.sha256.toUpperCase()}; Configuration: PrimaryThumbprint=${known[0]?.toUpperCase() ?? ''}, SecondaryThumbprint=${known[1]?.toUpperCase() ?? ''}`,
    };
  }
  const leaf = new crypto.X509Certificate(peer.chainDer[0]!);
  const invalid = validAt(leaf, now);
  if (invalid) return { ok: false, reason: invalid };
  return {
    ok: true,
    detail: `${hit === known[0] ? 'primary' : 'secondary'} thumbprint (${hit.length === 40 ? 'SHA-1' : 'SHA-256'}) matches`,
  };
}

/** Walks leaf → sent intermediates → a registered CA, each link signed and valid at `now`. */
function chainToCa(chain: crypto.X509Certificate[], cas: crypto.X509Certificate[], now: Date): CertVerdict {
  let current = chain[0]!;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const invalid = validAt(current, now);
    if (invalid) return { ok: false, reason: invalid };
    const ca = cas.find((c) => signs(c, current));
    if (ca) {
      const caInvalid = validAt(ca, now);
      return caInvalid
        ? { ok: false, reason: `registered CA: ${caInvalid}` }
        : { ok: true, detail: `chains to registered CA '${ca.subject.replace(/\n/g, ', ')}'` };
    }
    const next = chain.find((c) => c !== current && signs(c, current));
    if (!next) break;
    current = next;
  }
  return {
    ok: false,
    reason: `certificate chain does not lead to a registered CA (issuer: ${current.issuer.replace(/\n/g, ', ')}); register it in deviceCAs`,
  };
}

/** CA-signed: CN must equal the expected id and the chain must reach a registered CA. */
export function judgeCaSigned(
  peer: PeerCertInfo | undefined,
  expectedCn: string,
  cas: crypto.X509Certificate[],
  now: Date,
  what: string,
): CertVerdict {
  if (!peer) return noCertificate(what);
  if (peer.commonName !== expectedCn)
    return {
      ok: false,
      reason: `certificate CN '${peer.commonName ?? ''}' does not match '${expectedCn}' (CN must equal the id)`,
    };
  const chain = peer.chainDer.map((der) => new crypto.X509Certificate(der));
  if (chain.length === 0) return noCertificate(what);
  return chainToCa(chain, cas, now);
}
