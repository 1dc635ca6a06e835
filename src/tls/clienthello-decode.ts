/**
 * Synchronous ClientHello decoding into read-tls-client-hello's message shape, so its extension
 * parsers, lookup tables and JA3/JA4 still do the rest. Why not its readTlsClientHello: that one
 * reads field by field from a stream, one promise per field, which cost 0.35–0.65 ms per
 * connection here (a third of hubtls's handshake overhead, bench/RESULTS.md); this reads the
 * already reassembled message in a few microseconds. Same fields, same checks, same leniency
 * about extension contents (a malformed extension body parses as null).
 */
import { extensionParsers, isGREASE, type TlsClientHelloMessage, type TlsExtension } from 'read-tls-client-hello';

export class HelloDecodeError extends Error {
  override name = 'HelloDecodeError';
}

/** Reads big-endian fields off a buffer; running past the end names the field that was cut. */
class Cursor {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  bytes(n: number, field: string): Buffer {
    if (this.at + n > this.buf.length) throw new HelloDecodeError(`truncated ${field}: needs ${n} bytes at offset ${this.at}, message has ${this.buf.length}`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }

  u8(field: string): number {
    return this.bytes(1, field)[0]!;
  }

  u16(field: string): number {
    return this.bytes(2, field).readUInt16BE(0);
  }

  u24(field: string): number {
    return this.bytes(3, field).readUIntBE(0, 3);
  }
}

function parseExtension(id: number, data: Buffer): TlsExtension {
  const parser = (extensionParsers as Record<number, ((d: Buffer) => Record<string, unknown>) | undefined>)[id];
  if (!parser || isGREASE(id)) return { id, data: null };
  try {
    return { id, data: parser(data) };
  } catch {
    return { id, data: null }; // as the library does: a malformed extension body is not fatal
  }
}

function extensions(c: Cursor): TlsExtension[] {
  const length = c.u16('extensions length');
  const out: TlsExtension[] = [];
  for (let read = 0; read < length; ) {
    const id = c.u16('extension type');
    const size = c.u16('extension length');
    out.push(parseExtension(id, Buffer.from(c.bytes(size, `extension ${id}`))));
    read += 4 + size;
  }
  return out;
}

/** `message` is one handshake message: type (1), length (3), body. */
export function decodeClientHello(message: Buffer): TlsClientHelloMessage {
  const c = new Cursor(message);
  if (c.u8('handshake type') !== 0x01) throw new HelloDecodeError('not a TLS client hello');
  const length = c.u24('handshake length');
  if (length !== message.length - 4) throw new HelloDecodeError(`unexpected client hello length: ${length} (of ${message.length - 4})`);
  const version = c.u16('client version');
  const random = Buffer.from(c.bytes(32, 'random'));
  const sessionId = Buffer.from(c.bytes(c.u8('session id length'), 'session id'));
  const suites = c.bytes(c.u16('cipher suites length'), 'cipher suites');
  if (suites.length % 2) throw new HelloDecodeError(`cipher suites length ${suites.length} is odd`);
  const cipherSuites: number[] = [];
  for (let i = 0; i < suites.length; i += 2) cipherSuites.push(suites.readUInt16BE(i));
  const compressionMethods = [...c.bytes(c.u8('compression methods length'), 'compression methods')];
  return { version, random, sessionId, cipherSuites, compressionMethods, extensions: extensions(c) };
}
