/**
 * The one ClientHello decoder. `readClientHelloFields` reads the message structure (the mini engine
 * interprets the raw extension bodies itself); `decodeClientHello` gives read-tls-client-hello's
 * message shape, so its extension parsers, lookup tables and JA3/JA4 still do the rest.
 * Why not its readTlsClientHello: that one reads field by field from a stream, one promise per
 * field, which cost 0.35–0.65 ms per connection here (a third of hubtls's handshake overhead,
 * bench/RESULTS.md); this reads the already reassembled message in a few microseconds. Same
 * fields, same checks, same leniency about extension contents (a malformed extension body parses as null).
 */
import { extensionParsers, isGREASE, type TlsClientHelloMessage, type TlsExtension } from 'read-tls-client-hello';
import { HandshakeType } from './constants.js';
import { WireDecodeError, WireReader } from './reader.js';

export interface RawExtension {
  id: number;
  body: Buffer;
}

/** A ClientHello's fields with extension bodies left as bytes. */
export interface ClientHelloFields extends Omit<TlsClientHelloMessage, 'extensions'> {
  extensions: RawExtension[];
}

/**
 * server_name's host name as the bytes came: printable ASCII as is, every other byte (and the
 * backslash) as \\xNN. The library decodes it as 'ascii', which clears the top bit, so 0xE1 was
 * logged (and routed) as "a". An escaped name holds a backslash, so it matches no host name.
 */
function parseServerName(body: Buffer): { serverName?: string } | null {
  const r = new WireReader(body);
  const list = new WireReader(r.bytes(r.u16()));
  while (list.left > 0) {
    const type = list.u8();
    const name = list.bytes(list.u16());
    if (type === 0) return { serverName: escapeBytes(name) };
  }
  return { serverName: undefined };
}

export function escapeBytes(b: Buffer): string {
  let out = '';
  for (const c of b)
    out += c > 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : `\\x${c.toString(16).padStart(2, '0')}`;
  return out;
}

function parseExtension({ id, body }: RawExtension): TlsExtension {
  if (id === 0) return { id, data: tryParse(() => parseServerName(body)) };
  const parser = (extensionParsers as Record<number, ((d: Buffer) => Record<string, unknown>) | undefined>)[id];
  if (!parser || isGREASE(id)) return { id, data: null };
  return { id, data: tryParse(() => parser(body)) };
}

function tryParse<T>(parse: () => T): T | null {
  try {
    return parse();
  } catch {
    return null; // as the library does: a malformed extension body is not fatal
  }
}

/** RFC 5246 §7.4.1.2 (and RFC 2246): a hello may end after compression_methods, with no extensions. */
function extensions(r: WireReader): RawExtension[] {
  if (r.left === 0) return [];
  const length = r.u16('extensions length');
  const out: RawExtension[] = [];
  for (let read = 0; read < length;) {
    const id = r.u16('extension type');
    const size = r.u16('extension length');
    out.push({ id, body: Buffer.from(r.bytes(size, `extension ${id}`)) });
    read += 4 + size;
  }
  return out;
}

function cipherSuites(r: WireReader): number[] {
  const suites = r.bytes(r.u16('cipher suites length'), 'cipher suites');
  if (suites.length % 2) throw new WireDecodeError(`cipher suites length ${suites.length} is odd`);
  const out: number[] = [];
  for (let i = 0; i < suites.length; i += 2) out.push(suites.readUInt16BE(i));
  return out;
}

/** `message` is one handshake message: type (1), length (3), body. Throws WireDecodeError. */
export function readClientHelloFields(message: Buffer): ClientHelloFields {
  const r = new WireReader(message);
  if (r.u8('handshake type') !== HandshakeType.clientHello) throw new WireDecodeError('not a TLS client hello');
  const length = r.u24('handshake length');
  if (length !== message.length - 4) {
    throw new WireDecodeError(`unexpected client hello length: ${length} (of ${message.length - 4})`);
  }
  const version = r.u16('client version');
  const random = Buffer.from(r.bytes(32, 'random'));
  const sessionId = Buffer.from(r.bytes(r.u8('session id length'), 'session id'));
  const suites = cipherSuites(r);
  const compressionMethods = [...r.bytes(r.u8('compression methods length'), 'compression methods')];
  return { version, random, sessionId, cipherSuites: suites, compressionMethods, extensions: extensions(r) };
}

/** `message` is one handshake message: type (1), length (3), body. Throws WireDecodeError. */
export function decodeClientHello(message: Buffer): TlsClientHelloMessage {
  const fields = readClientHelloFields(message);
  return { ...fields, extensions: fields.extensions.map(parseExtension) };
}
