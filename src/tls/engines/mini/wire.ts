/**
 * Byte-level helpers shared by the mini engine: content and handshake types, a bounds-checked
 * reader (every overrun is a decode_error alert), vector encoders, and the engine's error type.
 */
export const ContentType = {
  changeCipherSpec: 20,
  alert: 21,
  handshake: 22,
  applicationData: 23,
  valid: (t: number) => t >= 20 && t <= 23,
} as const;

export const HandshakeType = {
  helloRequest: 0,
  clientHello: 1,
  serverHello: 2,
  certificate: 11,
  serverKeyExchange: 12,
  certificateRequest: 13,
  serverHelloDone: 14,
  certificateVerify: 15,
  clientKeyExchange: 16,
  finished: 20,
} as const;

/** A failure that ends the connection: `send` is the alert we owe the peer, `received` the one it sent. */
export class TlsAlertError extends Error {
  constructor(
    message: string,
    readonly info: { send?: number; received?: number; closed?: boolean },
  ) {
    super(message);
    this.name = 'TlsAlertError';
  }
}

export const decodeError = (what: string) => new TlsAlertError(`decode_error: ${what}`, { send: 50 });

export class Reader {
  private at = 0;

  constructor(private readonly buf: Buffer) {}

  get left(): number {
    return this.buf.length - this.at;
  }

  bytes(n: number): Buffer {
    if (n > this.left) throw decodeError(`needs ${n} bytes, ${this.left} left`);
    return this.buf.subarray(this.at, (this.at += n));
  }

  u8(): number {
    return this.bytes(1)[0]!;
  }

  u16(): number {
    return this.bytes(2).readUInt16BE(0);
  }

  u24(): number {
    return this.bytes(3).readUIntBE(0, 3);
  }

  /** A vector with a length prefix of `lenBytes` (1, 2 or 3). */
  vec(lenBytes: 1 | 2 | 3): Buffer {
    const n = lenBytes === 1 ? this.u8() : lenBytes === 2 ? this.u16() : this.u24();
    return this.bytes(n);
  }

  u16List(lenBytes: 1 | 2): number[] {
    const r = new Reader(this.vec(lenBytes));
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
