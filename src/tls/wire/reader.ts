/**
 * Bounds-checked big-endian reading and the vector encoders of TLS's presentation language.
 * Running past the end throws WireDecodeError; with a field name the message says which field was cut.
 */
export class WireDecodeError extends Error {
  override name = 'WireDecodeError';
}

export class WireReader {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  bytes(n: number, field?: string): Buffer {
    if (n > this.left) throw new WireDecodeError(this.overrun(n, field));
    return this.buf.subarray(this.at, (this.at += n));
  }

  private overrun(n: number, field: string | undefined): string {
    if (field === undefined) return `needs ${n} bytes, ${this.left} left`;
    return `truncated ${field}: needs ${n} bytes at offset ${this.at}, message has ${this.buf.length}`;
  }

  u8(field?: string): number {
    return this.bytes(1, field)[0]!;
  }

  u16(field?: string): number {
    return this.bytes(2, field).readUInt16BE(0);
  }

  u24(field?: string): number {
    return this.bytes(3, field).readUIntBE(0, 3);
  }

  /** A vector with a length prefix of `lenBytes` (1, 2 or 3). */
  vec(lenBytes: 1 | 2 | 3): Buffer {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  u16List(lenBytes: 1 | 2): number[] {
    const r = new WireReader(this.vec(lenBytes));
    const out: number[] = [];
    while (r.left >= 2) out.push(r.u16());
    return out;
  }
}

export function u8(n: number): Buffer {
  return Buffer.from([n]);
}

export function u16(n: number): Buffer {
  return Buffer.from([n >> 8, n & 0xff]);
}

export function u24(n: number): Buffer {
  return Buffer.from([n >> 16, (n >> 8) & 0xff, n & 0xff]);
}

export function vec(lenBytes: 1 | 2 | 3, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const len = lenBytes === 1 ? u8(body.length) : lenBytes === 2 ? u16(body.length) : u24(body.length);
  return Buffer.concat([len, body]);
}

/** A handshake message: type(1) length(3) body. */
export function handshakeMessage(type: number, ...body: Buffer[]): Buffer {
  return Buffer.concat([u8(type), vec(3, ...body)]);
}
