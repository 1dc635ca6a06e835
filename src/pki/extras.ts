/**
 * The real certificates' extra extensions (real-certs.ts) as @peculiar/x509 extensions. Loaded
 * only by the generator (lazily, like it).
 */
import crypto from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertExtras } from './real-certs.js';

const SCT_LIST = '1.3.6.1.4.1.11129.2.4.2';
const MS_CA_VERSION = '1.3.6.1.4.1.311.21.1';
const MS_TEMPLATE = '1.3.6.1.4.1.311.21.7';
const MS_APP_POLICIES = '1.3.6.1.4.1.311.21.10';

/** A copy as a plain Uint8Array over an ArrayBuffer (what WebCrypto-typed APIs take). */
const bytes = (b: Buffer): Uint8Array<ArrayBuffer> => new Uint8Array(b);

const ext = (oid: string, value: Buffer) => new x509.Extension(oid, false, bytes(value));

/** DER: a tag and a definite length (short or long form) before `body`. */
function tlv(tag: number, body: Buffer): Buffer {
  const n = body.length;
  const len = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Buffer.concat([Buffer.from([tag, ...len]), body]);
}

const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);

/**
 * One SignedCertificateTimestamp (RFC 6962 §3.2) as a v1 SCT of a real log would be laid out: version,
 * 32-byte log id, 8-byte timestamp, no extensions, ECDSA-SHA256 signature of 71 bytes. Random bytes:
 * it has the size and shape of an embedded SCT, and no log ever issued it.
 */
function fakeSct(): Buffer {
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(Date.now()));
  const sig = crypto.randomBytes(71);
  const body = Buffer.concat([
    Buffer.from([0]),
    crypto.randomBytes(32),
    ts,
    u16(0),
    Buffer.from([4, 3]),
    u16(sig.length),
    sig,
  ]);
  return Buffer.concat([u16(body.length), body]);
}

function sctList(count: number): x509.Extension {
  const list = Buffer.concat(Array.from({ length: count }, fakeSct));
  const value = tlv(0x04, Buffer.concat([u16(list.length), list])); // OCTET STRING holding the TLS-encoded list
  return ext(SCT_LIST, value);
}

/** DER of an OBJECT IDENTIFIER from its dotted form. */
function oidDer(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number);
  const out = [a! * 40 + b!];
  for (const n of rest) {
    const groups = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) groups.unshift((v & 0x7f) | 0x80);
    out.push(...groups);
  }
  return tlv(0x06, Buffer.from(out));
}

/**
 * Microsoft's certificate template (template OID, major 100, minor 12) and application policies
 * (serverAuth, clientAuth), shaped as Microsoft-issued leaves carry them; the template OID's arcs
 * are made up (a real one names an internal template).
 */
function msTemplate(): x509.Extension[] {
  const integer = (n: number) => tlv(0x02, Buffer.from([n]));
  const templateOid = oidDer('1.3.6.1.4.1.311.21.8.87483964.13542614.12089851.10411633.7436389.198.1.1');
  const template = tlv(0x30, Buffer.concat([templateOid, integer(100), integer(12)]));
  const policy = (o: string) => tlv(0x30, oidDer(o));
  const apps = tlv(0x30, Buffer.concat([policy('1.3.6.1.5.5.7.3.1'), policy('1.3.6.1.5.5.7.3.2')]));
  return [ext(MS_TEMPLATE, template), ext(MS_APP_POLICIES, apps)];
}

export function extraExtensions(e: CertExtras | undefined): x509.Extension[] {
  if (!e) return [];
  const out: x509.Extension[] = [];
  if (e.aia)
    out.push(new x509.AuthorityInfoAccessExtension({ ocsp: e.aia.ocsp ?? [], caIssuers: e.aia.caIssuers ?? [] }));
  if (e.crl?.length) out.push(new x509.CRLDistributionPointsExtension(e.crl));
  if (e.policies?.length) out.push(new x509.CertificatePolicyExtension(e.policies));
  if (e.msCaVersion) out.push(ext(MS_CA_VERSION, Buffer.from('020100', 'hex')));
  if (e.msTemplate) out.push(...msTemplate());
  if (e.scts) out.push(sctList(e.scts));
  return out;
}
