/**
 * Reads the raw ClientHello off a TCP socket before OpenSSL sees it: waits for the whole
 * handshake message even when it arrives byte by byte or spans several records, then puts every
 * byte back (`unshift`) so the TLS engine starts from the first byte.
 */
import type { Socket } from 'node:net';
import { ContentType, HandshakeType, HANDSHAKE_HEADER, MAX_PLAINTEXT, RECORD_HEADER } from './wire/constants.js';
import { readHandshakeHeader, readRecordHeader, type RecordHeader } from './wire/records.js';

/** A ClientHello larger than this is refused as malformed rather than buffered. */
export const MAX_HELLO_BYTES = 65536;

export type HelloFault = 'not-tls' | 'not-client-hello' | 'record-overflow' | 'too-large' | 'closed';

export class HelloReadError extends Error {
  constructor(
    readonly fault: HelloFault,
    message: string,
    readonly consumed: Buffer,
  ) {
    super(message);
    this.name = 'HelloReadError';
  }
}

export interface RawHello {
  /** Every byte read from the socket (all records carrying the ClientHello). */
  raw: Buffer;
  /** The reassembled handshake message: type(1) length(3) body. */
  message: Buffer;
  /** The record-layer version of the first record. */
  recordVersion: number;
}

type Progress = { done: RawHello } | { error: HelloReadError } | { more: true };

/** Pure step: given all bytes so far, is the ClientHello complete, broken, or still arriving? */
export function frameClientHello(buf: Buffer): Progress {
  const fragments: Buffer[] = [];
  let offset = 0;
  for (let h = readRecordHeader(buf); h; h = readRecordHeader(buf, offset)) {
    const bad = checkRecordHeader(h, buf, offset);
    if (bad) return { error: new HelloReadError(bad.fault, bad.message, buf) };
    const end = offset + RECORD_HEADER + h.length;
    if (end > buf.length) break;
    fragments.push(buf.subarray(offset + RECORD_HEADER, end));
    offset = end;
    const message = fragments.length === 1 ? fragments[0]! : Buffer.concat(fragments);
    const state = messageState(message, buf);
    if (state === 'complete')
      return {
        done: { raw: buf.subarray(0, offset), message: trimMessage(message), recordVersion: buf.readUInt16BE(1) },
      };
    if (state instanceof HelloReadError) return { error: state };
  }
  if (buf.length > 0 && buf[0] !== ContentType.handshake) return { error: notTls(buf) };
  return { more: true };
}

function notTls(buf: Buffer): HelloReadError {
  const head = buf
    .subarray(0, 8)
    .toString('latin1')
    .replace(/[^\x20-\x7e]/g, '.');
  return new HelloReadError(
    'not-tls',
    `first byte 0x${buf[0]!.toString(16).padStart(2, '0')} is not a TLS handshake record ("${head}")`,
    buf,
  );
}

function checkRecordHeader(
  h: RecordHeader,
  buf: Buffer,
  offset: number,
): { fault: HelloFault; message: string } | null {
  if (h.type !== ContentType.handshake) {
    return offset === 0
      ? { fault: 'not-tls', message: notTls(buf).message }
      : { fault: 'not-client-hello', message: `record type ${h.type} interleaved in the ClientHello` };
  }
  const len = h.length;
  if (len > MAX_PLAINTEXT) return { fault: 'record-overflow', message: `record length ${len} exceeds 2^14` };
  if (len === 0) return { fault: 'not-client-hello', message: 'empty handshake record' };
  return null;
}

function messageState(message: Buffer, buf: Buffer): 'complete' | 'partial' | HelloReadError {
  const h = readHandshakeHeader(message);
  if (!h) return 'partial';
  if (h.type !== HandshakeType.clientHello) {
    return new HelloReadError(
      'not-client-hello',
      `first handshake message has type ${h.type}, not ClientHello (1)`,
      buf,
    );
  }
  const size = HANDSHAKE_HEADER + h.length;
  if (size > MAX_HELLO_BYTES)
    return new HelloReadError('too-large', `ClientHello of ${h.length} bytes is larger than ${MAX_HELLO_BYTES}`, buf);
  return message.length >= size ? 'complete' : 'partial';
}

function trimMessage(message: Buffer): Buffer {
  return message.subarray(0, HANDSHAKE_HEADER + readHandshakeHeader(message)!.length);
}

/**
 * Collects the ClientHello from `socket`. Resolves with the bytes (already pushed back into the
 * socket) or rejects with a HelloReadError. The caller owns timeouts: destroying the socket ends
 * the wait with fault 'closed'.
 */
export function readClientHello(socket: Socket): Promise<RawHello> {
  return new Promise((resolve, reject) => {
    let buf: Buffer = Buffer.alloc(0);
    const finish = (result: { ok: RawHello } | { err: HelloReadError }) => {
      socket.off('data', onData).off('end', onClose).off('close', onClose);
      socket.pause();
      // A closed stream cannot take bytes back (unshift after 'end' throws); nobody would read them.
      if (buf.length && 'ok' in result) socket.unshift(buf);
      if ('ok' in result) resolve(result.ok);
      else reject(result.err);
    };
    const onData = (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      const p = frameClientHello(buf);
      if ('done' in p) finish({ ok: p.done });
      else if ('error' in p) finish({ err: p.error });
    };
    const onClose = () => finish({ err: new HelloReadError('closed', closedMessage(buf), buf) });
    socket.on('data', onData).once('end', onClose).once('close', onClose);
  });
}

function closedMessage(buf: Buffer): string {
  return buf.length === 0
    ? 'peer closed the connection before sending anything'
    : `peer closed the connection after ${buf.length} bytes of an incomplete ClientHello`;
}
