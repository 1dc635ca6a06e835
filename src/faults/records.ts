/**
 * TLS record helpers for wire transforms: reassemble whole records from TCP chunks, split the
 * handshake messages out of a plaintext record, and frame records again.
 */
export const CONTENT = { changeCipherSpec: 20, alert: 21, handshake: 22, applicationData: 23 } as const;
export const HANDSHAKE = { clientHello: 1, serverHello: 2, certificate: 11, serverKeyExchange: 12, serverHelloDone: 14 } as const;

export interface TlsRecord {
  type: number;
  version: number;
  body: Buffer;
  /** Header and body as they came off the wire. */
  raw: Buffer;
}

/** Collects TCP chunks and hands out complete records (the rest waits for the next chunk). */
export class RecordBuffer {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): TlsRecord[] {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const out: TlsRecord[] = [];
    while (this.pending.length >= 5) {
      const len = this.pending.readUInt16BE(3);
      if (this.pending.length < 5 + len) break;
      const raw = this.pending.subarray(0, 5 + len);
      out.push({ type: raw[0]!, version: raw.readUInt16BE(1), body: raw.subarray(5), raw });
      this.pending = this.pending.subarray(5 + len);
    }
    return out;
  }

  /** Bytes of an incomplete record still waiting. */
  get waiting(): number {
    return this.pending.length;
  }
}

export interface HandshakeMessage {
  type: number;
  /** Type, 3-byte length and body: the message as it is framed inside records. */
  raw: Buffer;
}

/**
 * Handshake messages of one plaintext handshake record. A message continued in the next record is
 * returned cut short (`raw` shorter than its length says); callers that care reassemble first.
 */
export function handshakeMessages(record: TlsRecord): HandshakeMessage[] {
  const out: HandshakeMessage[] = [];
  for (let off = 0; off + 4 <= record.body.length; ) {
    const len = record.body.readUIntBE(off + 1, 3);
    out.push({ type: record.body[off]!, raw: record.body.subarray(off, Math.min(off + 4 + len, record.body.length)) });
    off += 4 + len;
  }
  return out;
}

/** Frames `body` as one record of `type` (body must be at most 2^14 bytes for a valid record). */
export function frameRecord(type: number, version: number, body: Buffer): Buffer {
  const header = Buffer.from([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([header, body]);
}
