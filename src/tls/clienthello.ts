/**
 * Parses a ClientHello with read-tls-client-hello and reduces it to the summary that policy,
 * logs and reports use: versions, suites (IANA names), groups, signature algorithms, SNI, ALPN,
 * max_fragment_length. GREASE values are dropped from every list.
 */
import {
  getExtensionData,
  isGREASE,
  calculateJa3,
  calculateJa4,
  CIPHER_SUITES,
  SUPPORTED_GROUPS,
  SIGNATURE_ALGORITHMS,
  EXTENSIONS,
  type TlsClientHelloMessage,
} from 'read-tls-client-hello';
import { TLS_VERSIONS, VERSION_CODES, type TlsVersion } from '../profiles/suites.js';
import { decodeClientHello } from './wire/clienthello-decode.js';

export interface ClientHelloSummary {
  /** ClientHello.legacy_version, e.g. "TLSv1.2". */
  legacyVersion: TlsVersion | string;
  /** Versions the client offers, lowest first: supported_versions if sent, else all up to legacy_version. */
  versions: TlsVersion[];
  /** True when supported_versions was sent (the client states its exact set). */
  explicitVersions: boolean;
  sni?: string;
  suites: string[];
  suiteIds: number[];
  groups: string[];
  sigalgs: string[];
  alpn: string[];
  /** Requested plaintext limit in bytes (512, 1024, 2048, 4096), or a raw code when invalid. */
  maxFragmentLength?: number;
  maxFragmentCode?: number;
  recordSizeLimit?: number;
  extensions: string[];
  /** TLS_FALLBACK_SCSV present: the client is retrying with a lower version. */
  fallbackScsv: boolean;
  sessionTicket: boolean;
  ja3: string;
  ja4: string;
  bytes: number;
}

export class ClientHelloParseError extends Error {
  override name = 'ClientHelloParseError';
}

const MFL_CODES: Record<number, number> = { 1: 512, 2: 1024, 3: 2048, 4: 4096 };
const VERSION_BY_CODE = new Map(TLS_VERSIONS.map((v) => [VERSION_CODES[v], v]));

function lookup(table: Record<number, string | undefined>, id: number, width = 4): string {
  return table[id] ?? `0x${id.toString(16).padStart(width, '0')}`;
}

function versionName(code: number): TlsVersion | string {
  return VERSION_BY_CODE.get(code) ?? (code === 0x0300 ? 'SSLv3' : `0x${code.toString(16).padStart(4, '0')}`);
}

/** Without supported_versions a client offers every version up to legacy_version. */
function offeredVersions(hello: TlsClientHelloMessage): { versions: TlsVersion[]; explicit: boolean } {
  const sv = getExtensionData(hello, 'supported_versions')?.versions;
  if (sv) {
    const versions = sv.map((c) => VERSION_BY_CODE.get(c)).filter((v): v is TlsVersion => !!v);
    return { versions: TLS_VERSIONS.filter((v) => versions.includes(v)), explicit: true };
  }
  const max = hello.version;
  return { versions: TLS_VERSIONS.filter((v) => VERSION_CODES[v] <= Math.min(max, 0x0303)), explicit: false };
}

function summarize(hello: TlsClientHelloMessage, bytes: number): ClientHelloSummary {
  const suiteIds = hello.cipherSuites.filter((id) => !isGREASE(id));
  const { versions, explicit } = offeredVersions(hello);
  const mflCode = getExtensionData(hello, 'max_fragment_length')?.maxFragmentLength;
  return {
    legacyVersion: versionName(hello.version),
    versions,
    explicitVersions: explicit,
    sni: getExtensionData(hello, 'server_name')?.serverName || undefined,
    suites: suiteIds.map((id) => lookup(CIPHER_SUITES, id)),
    suiteIds,
    groups: (getExtensionData(hello, 'supported_groups')?.groups ?? [])
      .filter((g) => !isGREASE(g))
      .map((g) => lookup(SUPPORTED_GROUPS, g)),
    sigalgs: (getExtensionData(hello, 'signature_algorithms')?.algorithms ?? []).map((a) =>
      lookup(SIGNATURE_ALGORITHMS, a),
    ),
    alpn: getExtensionData(hello, 'alpn')?.protocols ?? [],
    maxFragmentLength: mflCode === undefined ? undefined : (MFL_CODES[mflCode] ?? mflCode),
    maxFragmentCode: mflCode,
    recordSizeLimit: getExtensionData(hello, 'record_size_limit')?.recordSizeLimit,
    extensions: hello.extensions.filter((e) => !isGREASE(e.id)).map((e) => lookup(EXTENSIONS, e.id)),
    fallbackScsv: suiteIds.includes(0x5600),
    sessionTicket: hello.extensions.some((e) => e.id === 35),
    ja3: calculateJa3(hello),
    ja4: calculateJa4(hello),
    bytes,
  };
}

/**
 * Parses a ClientHello handshake message (type, 3-byte length, body). Throws
 * ClientHelloParseError with the reason when the bytes are not a well-formed ClientHello.
 * Async for its callers' sake (the stream parser it replaced was); the work is synchronous.
 */
export async function parseClientHello(message: Buffer, rawBytes = message.length): Promise<ClientHelloSummary> {
  if (message.length > 0xffff) throw new ClientHelloParseError(`ClientHello of ${message.length} bytes is too large`);
  let hello: TlsClientHelloMessage;
  try {
    hello = decodeClientHello(message);
  } catch (e) {
    throw new ClientHelloParseError(`malformed ClientHello: ${(e as Error).message}`);
  }
  if (hello.cipherSuites.length === 0) throw new ClientHelloParseError('malformed ClientHello: no cipher suites');
  return summarize(hello, rawBytes);
}
