/**
 * Record framing, the one copy: read a record header, collect whole records from TCP chunks,
 * frame records, cut a write into record fragments, and find the handshake messages in a record.
 */
import { AlertLevel, ContentType, HANDSHAKE_HEADER, RECORD_HEADER } from './constants.js';

export interface RecordHeader {
  type: number;
  version: number;
  /** Fragment length as the header states it. */
  length: number;
}

export interface TlsRecord {
  type: number;
  version: number;
  body: Buffer;
  /** Header and body as they came off the wire. */
  raw: Buffer;
}

/** The record header at `offset`, or undefined while fewer than 5 bytes are there. */
export function readRecordHeader(buf: Buffer, offset = 0): RecordHeader | undefined {
  if (offset + RECORD_HEADER > buf.length) return undefined;
  return { type: buf[offset]!, version: buf.readUInt16BE(offset + 1), length: buf.readUInt16BE(offset + 3) };
}

/** Frames `body` as one record of `type` (body must be at most 2^14 bytes for a valid record). */
export function frameRecord(type: number, version: number, body: Buffer): Buffer {
  const header = Buffer.from([type, version >> 8, version & 0xff, body.length >> 8, body.length & 0xff]);
  return Buffer.concat([header, body]);
}

/** An alert's two bytes: level and description. */
export function alertBody(level: number, description: number): Buffer {
  return Buffer.from([level, description]);
}

/**
 * A fatal alert in a plaintext record. The record version echoes the client's record version
 * (capped at TLS 1.2, as TLS 1.3 servers do), which is what OpenSSL sends before a version is agreed.
 */
export function alertRecord(description: number, recordVersion = 0x0303): Buffer {
  const version = Math.min(Math.max(recordVersion, 0x0301), 0x0303);
  return frameRecord(ContentType.alert, version, alertBody(AlertLevel.fatal, description));
}

/** Cuts `data` into fragments of at most `size` bytes (an empty write is one empty fragment). */
export function splitFragments(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size));
  return out.length ? out : [data];
}

/** Decides how one write of `type` is cut into record plaintexts (default: fragments of the limit). */
export type RecordShaper = (type: number, data: Buffer, limit: number) => Buffer[];

/** Collects TCP chunks and hands out complete records (the rest waits for the next chunk). */
export class RecordBuffer {
  private pending: Buffer = Buffer.alloc(0);

  append(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
  }

  /** The header of the next record, as soon as its 5 bytes are here (to refuse it before its body). */
  header(): RecordHeader | undefined {
    return readRecordHeader(this.pending);
  }

  /** The next complete record, or undefined while it is still arriving. */
  take(): TlsRecord | undefined {
    const h = this.header();
    if (!h || this.pending.length < RECORD_HEADER + h.length) return undefined;
    const raw = this.pending.subarray(0, RECORD_HEADER + h.length);
    this.pending = this.pending.subarray(RECORD_HEADER + h.length);
    return { type: h.type, version: h.version, body: raw.subarray(RECORD_HEADER), raw };
  }

  /** Appends `chunk` and returns every record it completed. */
  push(chunk: Buffer): TlsRecord[] {
    this.append(chunk);
    const out: TlsRecord[] = [];
    for (let r = this.take(); r; r = this.take()) out.push(r);
    return out;
  }

  /** Bytes of an incomplete record still waiting. */
  get waiting(): number {
    return this.pending.length;
  }
}

export interface HandshakeHeader {
  type: number;
  /** Body length as the header states it. */
  length: number;
}

/** The handshake message header at `offset`, or undefined while fewer than 4 bytes are there. */
export function readHandshakeHeader(buf: Buffer, offset = 0): HandshakeHeader | undefined {
  if (offset + HANDSHAKE_HEADER > buf.length) return undefined;
  return { type: buf[offset]!, length: buf.readUIntBE(offset + 1, 3) };
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
  for (let off = 0, h = readHandshakeHeader(record.body); h; h = readHandshakeHeader(record.body, off)) {
    const end = off + HANDSHAKE_HEADER + h.length;
    out.push({ type: h.type, raw: record.body.subarray(off, Math.min(end, record.body.length)) });
    off = end;
  }
  return out;
}
