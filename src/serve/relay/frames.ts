/**
 * The relay between a worker and the primary (`--workers N`): one local connection per established
 * TLS session, carrying its plaintext and what happened to the TLS connection, as frames — type (1
 * byte), length (4 bytes, big-endian), payload. Sans-IO: `frame` encodes, `FrameReader` decodes.
 *
 * worker → primary: hello (who the session is, JSON), data, end (the client ended its side; JSON: was it
 * with close_notify), fin (the
 * TCP connection closed: its byte count, whether the hub closed it, JSON), last.
 * primary → worker: data, end (close_notify), destroy (close without close_notify), reset (KillTcp).
 */
export const FRAME = { hello: 1, data: 2, end: 3, fin: 4, destroy: 5, reset: 6 } as const;
export type FrameType = (typeof FRAME)[keyof typeof FRAME];

export interface Frame {
  type: FrameType;
  payload: Buffer;
}

/** The largest frame accepted: a data frame is one chunk of a TLS stream (at most a few records). */
export const MAX_FRAME = 4 * 1024 * 1024;

const HEADER = 5;
const KNOWN = new Set<number>(Object.values(FRAME));

export function frame(type: FrameType, payload: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.allocUnsafe(HEADER + payload.length);
  out[0] = type;
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, HEADER);
  return out;
}

export function jsonFrame(type: FrameType, value: unknown): Buffer {
  return frame(type, Buffer.from(JSON.stringify(value)));
}

/** Splits a byte stream into frames; throws on an unknown type or an oversized frame (a broken relay). */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    const frames: Frame[] = [];
    while (buf.length >= HEADER) {
      const type = buf[0]!;
      const length = buf.readUInt32BE(1);
      if (!KNOWN.has(type)) throw new Error(`relay: unknown frame type ${type}`);
      if (length > MAX_FRAME) throw new Error(`relay: frame of ${length} bytes (limit ${MAX_FRAME})`);
      if (buf.length < HEADER + length) break;
      frames.push({ type: type as FrameType, payload: buf.subarray(HEADER, HEADER + length) });
      buf = buf.subarray(HEADER + length);
    }
    this.pending = buf.length ? Buffer.from(buf) : Buffer.alloc(0);
    return frames;
  }
}
