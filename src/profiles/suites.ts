/**
 * The one table that maps IANA cipher-suite names (what Microsoft's pages and ClientHellos use)
 * to OpenSSL names (what Node's `ciphers` option takes). Profiles name suites by IANA name only.
 */
export type TlsVersion = 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3';

export const TLS_VERSIONS: readonly TlsVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Wire code points of the versions, as in ClientHello.legacy_version and supported_versions. */
export const VERSION_CODES: Record<TlsVersion, number> = {
  TLSv1: 0x0301,
  'TLSv1.1': 0x0302,
  'TLSv1.2': 0x0303,
  'TLSv1.3': 0x0304,
};

export type KeyExchange = 'ECDHE' | 'RSA' | 'TLS13';
export type CertAuth = 'RSA' | 'ECDSA' | 'ANY';

export interface SuiteInfo {
  iana: string;
  id: number;
  /** OpenSSL name, or null where Node's OpenSSL cannot negotiate it (3DES is compiled out). */
  openssl: string | null;
  kx: KeyExchange;
  auth: CertAuth;
  /** Lowest and highest protocol versions the suite can be negotiated in. */
  minVersion: TlsVersion;
  maxVersion: TlsVersion;
}

type Row = [iana: string, id: number, openssl: string | null, kx: KeyExchange, auth: CertAuth, min: TlsVersion];

const ROWS: Row[] = [
  ['TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', 0xc02c, 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE', 'ECDSA', 'TLSv1.2'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', 0xc02b, 'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE', 'ECDSA', 'TLSv1.2'],
  ['TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384', 0xc030, 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE', 'RSA', 'TLSv1.2'],
  ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 0xc02f, 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE', 'RSA', 'TLSv1.2'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', 0xc024, 'ECDHE-ECDSA-AES256-SHA384', 'ECDHE', 'ECDSA', 'TLSv1.2'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', 0xc023, 'ECDHE-ECDSA-AES128-SHA256', 'ECDHE', 'ECDSA', 'TLSv1.2'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA384', 0xc028, 'ECDHE-RSA-AES256-SHA384', 'ECDHE', 'RSA', 'TLSv1.2'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256', 0xc027, 'ECDHE-RSA-AES128-SHA256', 'ECDHE', 'RSA', 'TLSv1.2'],
  ['TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA', 0xc00a, 'ECDHE-ECDSA-AES256-SHA', 'ECDHE', 'ECDSA', 'TLSv1'],
  ['TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA', 0xc009, 'ECDHE-ECDSA-AES128-SHA', 'ECDHE', 'ECDSA', 'TLSv1'],
  ['TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA', 0xc014, 'ECDHE-RSA-AES256-SHA', 'ECDHE', 'RSA', 'TLSv1'],
  ['TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA', 0xc013, 'ECDHE-RSA-AES128-SHA', 'ECDHE', 'RSA', 'TLSv1'],
  ['TLS_RSA_WITH_AES_256_GCM_SHA384', 0x009d, 'AES256-GCM-SHA384', 'RSA', 'RSA', 'TLSv1.2'],
  ['TLS_RSA_WITH_AES_128_GCM_SHA256', 0x009c, 'AES128-GCM-SHA256', 'RSA', 'RSA', 'TLSv1.2'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA256', 0x003d, 'AES256-SHA256', 'RSA', 'RSA', 'TLSv1.2'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA256', 0x003c, 'AES128-SHA256', 'RSA', 'RSA', 'TLSv1.2'],
  ['TLS_RSA_WITH_AES_256_CBC_SHA', 0x0035, 'AES256-SHA', 'RSA', 'RSA', 'TLSv1'],
  ['TLS_RSA_WITH_AES_128_CBC_SHA', 0x002f, 'AES128-SHA', 'RSA', 'RSA', 'TLSv1'],
  ['TLS_RSA_WITH_3DES_EDE_CBC_SHA', 0x000a, null, 'RSA', 'RSA', 'TLSv1'],
  ['TLS_AES_256_GCM_SHA384', 0x1302, 'TLS_AES_256_GCM_SHA384', 'TLS13', 'ANY', 'TLSv1.3'],
  ['TLS_AES_128_GCM_SHA256', 0x1301, 'TLS_AES_128_GCM_SHA256', 'TLS13', 'ANY', 'TLSv1.3'],
  ['TLS_CHACHA20_POLY1305_SHA256', 0x1303, 'TLS_CHACHA20_POLY1305_SHA256', 'TLS13', 'ANY', 'TLSv1.3'],
];

export const SUITES: readonly SuiteInfo[] = ROWS.map(([iana, id, openssl, kx, auth, min]) => ({
  iana,
  id,
  openssl,
  kx,
  auth,
  minVersion: min,
  maxVersion: kx === 'TLS13' ? 'TLSv1.3' : 'TLSv1.2',
}));

const BY_NAME = new Map(SUITES.map((s) => [s.iana, s]));
const BY_ID = new Map(SUITES.map((s) => [s.id, s]));

export function suiteByName(iana: string): SuiteInfo | undefined {
  return BY_NAME.get(iana);
}

export function suiteById(id: number): SuiteInfo | undefined {
  return BY_ID.get(id);
}

export function versionRank(v: TlsVersion): number {
  return TLS_VERSIONS.indexOf(v);
}

/** True when `suite` can be negotiated in protocol `version`. */
export function suiteFitsVersion(suite: SuiteInfo, version: TlsVersion): boolean {
  const r = versionRank(version);
  return r >= versionRank(suite.minVersion) && r <= versionRank(suite.maxVersion);
}

/** Human form used in logs and explanations: TLSv1.2 → "TLS 1.2". */
export function versionLabel(v: TlsVersion): string {
  return v === 'TLSv1' ? 'TLS 1.0' : v.replace('TLSv', 'TLS ');
}
