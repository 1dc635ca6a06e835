/**
 * The record layer over a TCP socket: frames incoming records and opens them with the current
 * read protection; splits outgoing data into records no larger than the write limit (or as a
 * record shaper says, for faults) and seals them with the current write protection.
 */
import type { Duplex } from 'node:stream';
import { BadRecordMac, NullProtection, type Protection } from './protection.js';
import { TlsAlertError, refuse } from './failure.js';
import { mflOverflow } from '../mfl.js';
import { ALERT, ContentType, MAX_CIPHERTEXT, MAX_PLAINTEXT } from '../../wire/constants.js';
import { RecordBuffer, frameRecord, splitFragments, type RecordShaper, type TlsRecord } from '../../wire/records.js';

/** A record opened with the read protection: `data` is its plaintext. */
export interface PlainRecord {
  type: number;
  version: number;
  data: Buffer;
}

const overflow = (what: string) => new TlsAlertError(what, 'malformed', { send: ALERT.recordOverflow });

export class RecordIO {
  readProtection: Protection = NullProtection;
  writeProtection: Protection = NullProtection;
  /** Record version on the wire once a version is agreed. */
  version = 0x0301;
  /** Plaintext bytes per record we send: 2^14, or the negotiated max_fragment_length. */
  writeLimit = MAX_PLAINTEXT;
  /** Plaintext bytes per record the peer may send: 2^14, or the max_fragment_length we honoured (it binds both sides). */
  readLimit = MAX_PLAINTEXT;
  shaper: RecordShaper = (_t, d, limit) => splitFragments(d, limit);
  private readonly records = new RecordBuffer();
  /** Raw records, opened only when consumed: the read protection changes at ChangeCipherSpec. */
  private readonly queue: TlsRecord[] = [];
  private failure?: Error;
  private wake?: () => void;

  /** `socket` is the TCP socket or a stream standing in for it (a fault rewriting bytes). */
  constructor(readonly socket: Duplex) {
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('close', () => this.fail(new TlsAlertError('peer closed the connection', 'peer-closed')));
    socket.on('error', (e) => this.fail(new TlsAlertError(`socket error: ${e.message}`, 'peer-closed')));
    socket.resume(); // the ClientHello reader paused it after unshifting the hello
  }

  private onData(d: Buffer): void {
    this.records.append(d);
    try {
      for (let h = this.records.header(); h; h = this.records.header()) {
        // Refused on its header: waiting for the body of an impossible record would only stall.
        if (h.length > MAX_CIPHERTEXT) throw overflow(`record of ${h.length} bytes exceeds 2^14+2048`);
        const r = this.records.take();
        if (!r) break;
        if (r.version >> 8 !== 3 || !ContentType.valid(r.type)) {
          throw new TlsAlertError('not a TLS record', 'malformed', { send: ALERT.unexpectedMessage });
        }
        this.queue.push(r);
      }
    } catch (e) {
      this.fail(e as Error);
    }
    this.wake?.();
  }

  private openRecord(r: TlsRecord): PlainRecord {
    const data = this.openPayload(r.type, r.body);
    if (data.length > MAX_PLAINTEXT) throw overflow(`record plaintext of ${data.length} bytes exceeds 2^14`);
    if (data.length > this.readLimit) throw refuse(mflOverflow(data.length, this.readLimit), ALERT.recordOverflow);
    return { type: r.type, version: r.version, data: Buffer.from(data) };
  }

  private openPayload(type: number, payload: Buffer): Buffer {
    try {
      return this.readProtection.open(type, payload);
    } catch (e) {
      throw e instanceof BadRecordMac ? new TlsAlertError(e.message, 'refused', { send: ALERT.badRecordMac }) : e;
    }
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.wake?.();
  }

  /** The next record; rejects once the connection failed and the queue is empty. */
  async next(): Promise<PlainRecord> {
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
    const wire = parts.map((p) => frameRecord(type, this.version, this.writeProtection.seal(type, p)));
    if (!this.socket.destroyed) this.socket.write(Buffer.concat(wire));
  }
}
