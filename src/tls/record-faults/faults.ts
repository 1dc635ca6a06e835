/**
 * Record-level misbehaviour the mini engine can put on the wire, as plain data plus the record
 * shaper that carries it out. OpenSSL cannot do any of these; scenario faults (src/faults/) map
 * onto this shape and route the connection to the mini engine.
 */
import { ContentType, HandshakeType, HANDSHAKE_HEADER } from '../wire/constants.js';
import { readHandshakeHeader, splitFragments, type RecordShaper } from '../wire/records.js';

export interface RecordFaults {
  /** Send records of this many plaintext bytes, whatever max_fragment_length was agreed (≤ 16384 keeps them legal TLS). */
  oversize?: number;
  /** Split every handshake flight into records of this many bytes (1 = one byte per record). */
  tinyHandshake?: number;
  /** Corrupt the ServerKeyExchange signature by one bit. */
  badSignature?: boolean;
}

/**
 * The ServerHello goes alone in its first record: a client applies the agreed length only once it
 * has read the ServerHello, so the oversized records must come after it (as they would from a
 * server that echoes the extension and then forgets it).
 */
function oversized(type: number, data: Buffer, size: number): Buffer[] {
  const h = readHandshakeHeader(data);
  if (type !== ContentType.handshake || h?.type !== HandshakeType.serverHello) return splitFragments(data, size);
  const end = HANDSHAKE_HEADER + h.length;
  return [data.subarray(0, end), ...(end < data.length ? splitFragments(data.subarray(end), size) : [])];
}

export function shaperFor(f: RecordFaults): RecordShaper {
  return (type, data, limit) => {
    if (f.tinyHandshake && type === ContentType.handshake) return splitFragments(data, f.tinyHandshake);
    return f.oversize === undefined ? splitFragments(data, limit) : oversized(type, data, f.oversize);
  };
}
