/**
 * Record-level misbehaviour the mini engine can put on the wire, as plain data plus the record
 * shaper that carries it out. OpenSSL cannot do any of these; scenario faults (src/faults/) map
 * onto this shape and route the connection to the mini engine.
 */
import { chunk, type RecordShaper } from '../engines/mini/record-io.js';

export interface RecordFaults {
  /** Send records of this many plaintext bytes, whatever max_fragment_length was agreed (≤ 16384 keeps them legal TLS). */
  oversize?: number;
  /** Split every handshake flight into records of this many bytes (1 = one byte per record). */
  tinyHandshake?: number;
  /** Corrupt the ServerKeyExchange signature by one bit. */
  badSignature?: boolean;
}

const HANDSHAKE = 22;

const SERVER_HELLO = 2;

/**
 * The ServerHello goes alone in its first record: a client applies the agreed length only once it
 * has read the ServerHello, so the oversized records must come after it (as they would from a
 * server that echoes the extension and then forgets it).
 */
function oversized(type: number, data: Buffer, size: number): Buffer[] {
  if (type !== HANDSHAKE || data[0] !== SERVER_HELLO || data.length < 4) return chunk(data, size);
  const end = 4 + data.readUIntBE(1, 3);
  return [data.subarray(0, end), ...(end < data.length ? chunk(data.subarray(end), size) : [])];
}

export function shaperFor(f: RecordFaults): RecordShaper {
  return (type, data, limit) => {
    if (f.tinyHandshake && type === HANDSHAKE) return chunk(data, f.tinyHandshake);
    return f.oversize === undefined ? chunk(data, limit) : oversized(type, data, f.oversize);
  };
}
