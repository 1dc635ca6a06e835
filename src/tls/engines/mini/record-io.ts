/**
 * The record layer over a TCP socket: frames incoming records and opens them with the current
 * read protection; splits outgoing data into records no larger than the write limit (or as a
 * record shaper says, for faults) and seals them with the current write protection.
 */
import type { Duplex } from 'node:stream';
import { BadRecordMac, NullProtection, type Protection } from './protection.js';
import { TlsAlertError, ContentType } from './wire.js';

export interface TlsRecord {
  type: number;
  version: number;
  data: Buffer;
}

/** Decides how one write of `type` is cut into record plaintexts (default: chunks of the limit). */
export type RecordShaper = (type: number, data: Buffer, limit: number) => Buffer[];

export function chunk(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out.length ? out : [data];
}

const MAX_PLAIN = 16384;

export class RecordIO {
  readProtection: Protection = NullProtection;
  writeProtection: Protection = NullProtection;
  /** Record version on the wire once a version is agreed. */
  version = 0x0301;
  /** Plaintext bytes per record we send: 2^14, or the negotiated max_fragment_length. */
  writeLimit = MAX_PLAIN;
  shaper: RecordShaper = (_t, d, limit) => chunk(d, limit);
  private buf: Buffer = Buffer.alloc(0);
  /** Raw records, opened only when consumed: the read protection changes at ChangeCipherSpec. */
  private readonly queue: Buffer[] = [];
  private failure?: Error;
  private wake?: () => void;

  /** `socket` is the TCP socket or a stream standing in for it (a fault rewriting bytes). */
  constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.fail(new TlsAlertError('peer closed the connection', { closed: true })));
    socket.on('error', (e) => this.fail(new TlsAlertError(`socket error: ${e.message}`, { closed: true })));
    socket.resume(); // the ClientHello reader paused it after unshifting the hello
  }

  private onData(d: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, d]) : d;
    try {
      while (this.buf.length >= 5) {
        const len = this.buf.readUInt16BE(3);
        if (len > MAX_PLAIN + 2048) throw new TlsAlertError(`record of ${len} bytes exceeds 2^14+2048`, { send: 22 });
        if (this.buf.length < 5 + len) break;
        if (this.buf[0] !== undefined && (this.buf[1] !== 3 || !ContentType.valid(this.buf[0]))) throw new TlsAlertError('not a TLS record', { send: 10 });
        this.queue.push(this.buf.subarray(0, 5 + len));
        this.buf = this.buf.subarray(5 + len);
      }
    } catch (e) {
      this.fail(e as Error);
    }
    this.wake?.();
  }

  private openRecord(raw: Buffer): TlsRecord {
    const type = raw[0]!;
    const data = this.openPayload(type, raw.subarray(5));
    if (data.length > MAX_PLAIN) throw new TlsAlertError(`record plaintext of ${data.length} bytes exceeds 2^14`, { send: 22 });
    return { type, version: raw.readUInt16BE(1), data: Buffer.from(data) };
  }

  private openPayload(type: number, payload: Buffer): Buffer {
    try {
      return this.readProtection.open(type, payload);
    } catch (e) {
      throw e instanceof BadRecordMac ? new TlsAlertError(e.message, { send: 20 }) : e;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** The next record; rejects once the connection failed and the queue is empty. */
  async next(): Promise<TlsRecord> {
    for (;;) {
      const r = this.queue.shift();
      if (r) return this.openRecord(r);
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }

  /** Unread plaintext records remain (a peer pipelining application data after Finished). */
  get pending(): number {
    return this.queue.length;
  }

  write(type: number, data: Buffer): void {
    const parts = this.shaper(type, data, this.writeLimit);
    const wire = parts.map((p) => this.frame(type, this.writeProtection.seal(type, p)));
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(wire));
  }

  private frame(type: number, payload: Buffer): Buffer {
    const h = Buffer.from([type, this.version >> 8, this.version & 0xff, payload.length >> 8, payload.length & 0xff]);
    return Buffer.concat([h, payload]);
  }
}
