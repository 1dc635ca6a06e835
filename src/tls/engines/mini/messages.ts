/**
 * The handshake messages the server parses and builds (RFC 5246 §7.4, RFC 4492/8422, RFC 6066
 * max_fragment_length, RFC 7627 extended master secret, RFC 5746 renegotiation_info).
 */
import { decodeError } from './failure.js';
import { HandshakeType } from '../../wire/constants.js';
import { WireReader, handshakeMessage, u8, u16, vec } from '../../wire/reader.js';
import { readClientHelloFields, type RawExtension } from '../../wire/clienthello-decode.js';

export const Ext = {
  maxFragmentLength: 1,
  supportedGroups: 10,
  ecPointFormats: 11,
  sigalgs: 13,
  ems: 23,
  renegotiationInfo: 0xff01,
} as const;
const RENEGOTIATION_SCSV = 0x00ff;
const MFL_BYTES: Record<number, number> = { 1: 512, 2: 1024, 3: 2048, 4: 4096 };

export interface ClientHello {
  version: number;
  random: Buffer;
  suites: number[];
  groups: number[];
  sigalgs: number[];
  pointFormats: boolean;
  /** Requested max_fragment_length: the extension's code (1–4) and its size in bytes. */
  mfl?: { code: number; bytes: number };
  ems: boolean;
  secureRenegotiation: boolean;
}

/** Extension bodies by type; a repeated extension is a decode_error (RFC 5246 §7.4.1.4). */
function extensionMap(list: RawExtension[]): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (const { id, body } of list) {
    if (out.has(id)) throw decodeError(`extension ${id} appears twice`);
    out.set(id, body);
  }
  return out;
}

const u16ListOf = (body: Buffer | undefined) => (body ? new WireReader(body).u16List(2) : []);

/** `message` is the whole ClientHello handshake message (type, length, body), as the hello reader framed it. */
export function parseClientHello(message: Buffer): ClientHello {
  const fields = readClientHelloFields(message);
  const ext = extensionMap(fields.extensions);
  const mflCode = ext.get(Ext.maxFragmentLength)?.[0];
  return {
    version: fields.version,
    random: fields.random,
    suites: fields.cipherSuites,
    groups: u16ListOf(ext.get(Ext.supportedGroups)),
    sigalgs: u16ListOf(ext.get(Ext.sigalgs)),
    pointFormats: ext.has(Ext.ecPointFormats),
    mfl: mflCode !== undefined && MFL_BYTES[mflCode] ? { code: mflCode, bytes: MFL_BYTES[mflCode]! } : undefined,
    ems: ext.has(Ext.ems),
    secureRenegotiation: ext.has(Ext.renegotiationInfo) || fields.cipherSuites.includes(RENEGOTIATION_SCSV),
  };
}

export interface ServerHelloSpec {
  version: number;
  random: Buffer;
  suite: number;
  ems: boolean;
  secureRenegotiation: boolean;
  pointFormats: boolean;
  /** Echo max_fragment_length with this code (honour mode); absent = not echoed. */
  mflCode?: number;
}

function extension(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), vec(2, data)]);
}

export function serverHello(s: ServerHelloSpec): Buffer {
  const exts: Buffer[] = [];
  if (s.secureRenegotiation) exts.push(extension(Ext.renegotiationInfo, vec(1)));
  if (s.ems) exts.push(extension(Ext.ems, Buffer.alloc(0)));
  if (s.pointFormats) exts.push(extension(Ext.ecPointFormats, vec(1, u8(0))));
  if (s.mflCode !== undefined) exts.push(extension(Ext.maxFragmentLength, u8(s.mflCode)));
  const extBlock = exts.length ? vec(2, ...exts) : Buffer.alloc(0);
  return handshakeMessage(HandshakeType.serverHello, u16(s.version), s.random, vec(1), u16(s.suite), u8(0), extBlock);
}

export function certificateMessage(chainDer: Buffer[]): Buffer {
  return handshakeMessage(HandshakeType.certificate, vec(3, ...chainDer.map((c) => vec(3, c))));
}

/** CertificateRequest: RSA and ECDSA certificates, any CA (as OpenSSL without a CA list sends). */
export function certificateRequest(version: number, sigalgs: number[]): Buffer {
  const types = vec(1, u8(1), u8(64));
  const algs = version >= 0x0303 ? [vec(2, ...sigalgs.map(u16))] : [];
  return handshakeMessage(HandshakeType.certificateRequest, types, ...algs, vec(2));
}

export function serverHelloDone(): Buffer {
  return handshakeMessage(HandshakeType.serverHelloDone);
}

export function finishedMessage(verifyData: Buffer): Buffer {
  return handshakeMessage(HandshakeType.finished, verifyData);
}

export function parseCertificateList(body: Buffer): Buffer[] {
  const list = new WireReader(new WireReader(body).vec(3));
  const out: Buffer[] = [];
  while (list.left > 0) out.push(Buffer.from(list.vec(3)));
  return out;
}

/** CertificateVerify: TLS 1.2 names the signature algorithm; earlier versions do not. */
export function parseCertificateVerify(body: Buffer, version: number): { sigalg?: number; signature: Buffer } {
  const r = new WireReader(body);
  const sigalg = version >= 0x0303 ? r.u16() : undefined;
  return { sigalg, signature: r.vec(2) };
}
