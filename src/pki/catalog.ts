/**
 * The catalog of stand-ins: roots and issuing CAs with the real subject names, key types and
 * sizes and signature algorithms of the certificates Azure IoT Hub / DPS chain to. Pure data.
 *
 * Validity: every CA starts at its real-world notBefore but ends at STAND_IN_NOT_AFTER
 * (2049-12-31), even where the real certificate has already expired (Baltimore CyberTrust Root
 * ended 2025-05-12, the Microsoft IT / RSA TLS CAs and Azure TLS Issuing CA 0x ended 2024). The
 * stand-ins must verify against a device's real clock; a scenario that needs "Baltimore has
 * expired" says so with a defect fixture or a simulated clock, not by accident of today's date.
 */
import type { CaDef, DnPart, KeyShape, RootInfo, SigAlg } from './types.js';

/** Bump when any definition changes (real-certs.ts too): stores written under another version are regenerated. */
export const CATALOG_VERSION = 2;

export const STAND_IN_NOT_AFTER = '2049-12-31T23:59:59Z';

const RSA2048: KeyShape = { type: 'rsa', bits: 2048 };
const RSA4096: KeyShape = { type: 'rsa', bits: 4096 };
const P384: KeyShape = { type: 'ec', curve: 'P-384' };

const DIGICERT: DnPart[] = [
  ['C', 'US'],
  ['O', 'DigiCert Inc'],
  ['OU', 'www.digicert.com'],
];
const MICROSOFT: DnPart[] = [
  ['C', 'US'],
  ['O', 'Microsoft Corporation'],
];
const HUBTLS: DnPart[] = [['O', 'hubtls test PKI']];

function root(def: Omit<CaDef, 'role' | 'keyId' | 'issuerId'>): CaDef {
  return { ...def, role: 'root', keyId: def.id, issuerId: def.id };
}

export const ROOTS: readonly CaDef[] = [
  root({
    id: 'baltimore',
    fileName: 'baltimore-cybertrust-root',
    subject: [
      ['C', 'IE'],
      ['O', 'Baltimore'],
      ['OU', 'CyberTrust'],
      ['CN', 'Baltimore CyberTrust Root'],
    ],
    key: RSA2048,
    signature: 'sha1WithRSAEncryption',
    notBefore: '2000-05-12T18:46:00Z',
    description:
      'Baltimore CyberTrust Root: IoT Hub/DPS root until the 2023 G2 migration (real one expired 2025-05-12)',
  }),
  root({
    id: 'digicert-g2',
    fileName: 'digicert-global-root-g2',
    subject: [...DIGICERT, ['CN', 'DigiCert Global Root G2']],
    key: RSA2048,
    signature: 'sha256WithRSAEncryption',
    notBefore: '2013-08-01T12:00:00Z',
    description: 'DigiCert Global Root G2: the RSA root of IoT Hub/DPS since the 2023 migration',
  }),
  root({
    id: 'digicert-g3',
    fileName: 'digicert-global-root-g3',
    subject: [...DIGICERT, ['CN', 'DigiCert Global Root G3']],
    key: P384,
    signature: 'ecdsa-with-SHA384',
    notBefore: '2013-08-01T12:00:00Z',
    description: 'DigiCert Global Root G3: the ECC (P-384) root of the Azure ECC TLS chain',
  }),
  root({
    id: 'msrsa2017',
    fileName: 'microsoft-rsa-root-ca-2017',
    subject: [...MICROSOFT, ['CN', 'Microsoft RSA Root Certificate Authority 2017']],
    key: RSA4096,
    signature: 'sha384WithRSAEncryption',
    notBefore: '2019-12-18T22:51:22Z',
    description:
      "Microsoft RSA Root Certificate Authority 2017: Azure's own RSA root, cross-signs the Azure RSA TLS CAs",
  }),
  root({
    id: 'msecc2017',
    fileName: 'microsoft-ecc-root-ca-2017',
    subject: [...MICROSOFT, ['CN', 'Microsoft ECC Root Certificate Authority 2017']],
    key: P384,
    signature: 'ecdsa-with-SHA384',
    notBefore: '2019-12-18T23:06:45Z',
    description:
      "Microsoft ECC Root Certificate Authority 2017: Azure's own ECC root, cross-signs the Azure ECC TLS CAs",
  }),
  root({
    id: 'untrusted-root',
    fileName: 'hubtls-untrusted-root-ca',
    testOnly: true,
    subject: [...HUBTLS, ['CN', 'hubtls Untrusted Root CA']],
    key: RSA2048,
    signature: 'sha256WithRSAEncryption',
    notBefore: '2024-01-01T00:00:00Z',
    description: 'A root nobody trusts: stands for an interception proxy or a wrong endpoint',
  }),
  root({
    id: 'device-root-ca',
    fileName: 'hubtls-test-device-root-ca',
    testOnly: true,
    subject: [...HUBTLS, ['CN', 'hubtls Test Device Root CA']],
    key: RSA2048,
    signature: 'sha256WithRSAEncryption',
    notBefore: '2024-01-01T00:00:00Z',
    description: 'Signs CA-authenticated device certificates (register it in the hub as a verified CA)',
  }),
];

/** An issuing CA with one issuer. */
function issuing(def: Omit<CaDef, 'role' | 'keyId'> & { keyId?: string }): CaDef {
  return { ...def, role: 'issuing-ca', keyId: def.keyId ?? def.id };
}

/** A CA cross-signed by two roots: two certificates, one key, one subject. */
function crossSigned(keyId: string, cn: string, key: KeyShape, roots: readonly [string, string], sig: SigAlg): CaDef[] {
  return roots.map((rootId) =>
    issuing({
      id: `${keyId}@${rootId.replace(/^digicert-/, '')}`,
      keyId,
      issuerId: rootId,
      subject: [...MICROSOFT, ['CN', cn]],
      key,
      signature: sig,
      leafSignature: sig,
      notBefore: '2023-06-08T00:00:00Z',
      description: `${cn}, issued by ${rootId} (cross-signed: same key and subject under ${roots.join(' and ')})`,
    }),
  );
}

function azureTls(n: string): CaDef {
  return issuing({
    id: `azure-tls-ca-${n}`,
    issuerId: 'digicert-g2',
    subject: [...MICROSOFT, ['CN', `Microsoft Azure TLS Issuing CA ${n}`]],
    key: RSA4096,
    signature: 'sha384WithRSAEncryption',
    leafSignature: 'sha384WithRSAEncryption',
    notBefore: '2020-07-29T12:30:00Z',
    description: `Microsoft Azure TLS Issuing CA ${n} under DigiCert Global Root G2 (the 2023 migration chain)`,
  });
}

const azureRsa = (n: string) =>
  crossSigned(
    `azure-rsa-tls-ca-${n}`,
    `Microsoft Azure RSA TLS Issuing CA ${n}`,
    RSA4096,
    ['digicert-g2', 'msrsa2017'],
    'sha384WithRSAEncryption',
  );
const azureEcc = (n: string) =>
  crossSigned(
    `azure-ecc-tls-ca-${n}`,
    `Microsoft Azure ECC TLS Issuing CA ${n}`,
    P384,
    ['digicert-g3', 'msecc2017'],
    'ecdsa-with-SHA384',
  );

export const ISSUING_CAS: readonly CaDef[] = [
  issuing({
    id: 'ms-rsa-tls-ca-01',
    issuerId: 'baltimore',
    subject: [...MICROSOFT, ['CN', 'Microsoft RSA TLS CA 01']],
    key: RSA4096,
    signature: 'sha256WithRSAEncryption',
    leafSignature: 'sha256WithRSAEncryption',
    notBefore: '2020-07-21T23:00:00Z',
    description: 'Microsoft RSA TLS CA 01 under Baltimore: IoT Hub 2020-2023',
  }),
  issuing({
    id: 'ms-it-tls-ca-1',
    issuerId: 'baltimore',
    subject: [
      ['C', 'US'],
      ['ST', 'Washington'],
      ['L', 'Redmond'],
      ['O', 'Microsoft Corporation'],
      ['OU', 'Microsoft IT'],
      ['CN', 'Microsoft IT TLS CA 1'],
    ],
    key: RSA4096,
    signature: 'sha256WithRSAEncryption',
    leafSignature: 'sha256WithRSAEncryption',
    notBefore: '2016-05-20T12:51:28Z',
    description: 'Microsoft IT TLS CA 1 under Baltimore: IoT Hub before 2020',
  }),
  ...['01', '02', '05', '06'].map(azureTls),
  ...['03', '04', '07', '08'].flatMap(azureRsa),
  ...['03', '04'].flatMap(azureEcc),
  issuing({
    id: 'untrusted-issuing-ca',
    issuerId: 'untrusted-root',
    testOnly: true,
    subject: [...HUBTLS, ['CN', 'hubtls Untrusted Issuing CA']],
    key: RSA2048,
    signature: 'sha256WithRSAEncryption',
    leafSignature: 'sha256WithRSAEncryption',
    notBefore: '2024-01-01T00:00:00Z',
    description: 'Issuing CA under the untrusted root',
  }),
];

/**
 * The roots Microsoft tells devices to trust today for IoT Hub / DPS (RSA and ECC, DigiCert
 * and Microsoft), exported as azure-roots-bundle.pem. Baltimore is not in it (retired in the
 * 2023 migration); the legacy bundle adds it for devices from before the migration.
 */
export const AZURE_TRUST_BUNDLE: readonly string[] = ['digicert-g2', 'msrsa2017', 'digicert-g3', 'msecc2017'];
export const AZURE_LEGACY_BUNDLE: readonly string[] = [...AZURE_TRUST_BUNDLE, 'baltimore'];

const CA_BY_ID = new Map<string, CaDef>([...ROOTS, ...ISSUING_CAS].map((c) => [c.id, c]));

export function findCa(id: string): CaDef | undefined {
  return CA_BY_ID.get(id);
}

export function allCas(): CaDef[] {
  return [...CA_BY_ID.values()];
}

export function isRoot(id: string): boolean {
  return CA_BY_ID.get(id)?.role === 'root';
}

/** The root plus every CA from a CA up to its root, starting with `id` itself. */
export function pathToRoot(id: string): CaDef[] {
  const path: CaDef[] = [];
  for (let ca = CA_BY_ID.get(id); ca; ca = ca.issuerId === ca.id ? undefined : CA_BY_ID.get(ca.issuerId)) {
    if (path.includes(ca)) break;
    path.push(ca);
  }
  return path;
}

/** "C=US, O=DigiCert Inc, CN=…" in encoding order (the order OpenSSL and Node print). */
export function dnString(dn: readonly DnPart[]): string {
  return dn.map(([k, v]) => `${k}=${v}`).join(', ');
}

export function keyBitsOf(key: KeyShape): number {
  return key.type === 'rsa' ? key.bits : key.curve === 'P-256' ? 256 : 384;
}

export function rootInfos(): RootInfo[] {
  return ROOTS.map((r) => ({
    id: r.id,
    subject: dnString(r.subject),
    keyType: r.key.type,
    keyBits: keyBitsOf(r.key),
    signature: r.signature,
    notBefore: r.notBefore,
    fileName: r.fileName ?? r.id,
    description: r.description,
    testOnly: r.testOnly ?? false,
  }));
}
