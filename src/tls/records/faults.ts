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

export function shaperFor(f: RecordFaults): RecordShaper {
  return (type, data, limit) => {
    if (f.tinyHandshake && type === HANDSHAKE) return chunk(data, f.tinyHandshake);
    return chunk(data, f.oversize ?? limit);
  };
}

/** Whether any of the faults needs the mini engine (all of them do today). */
export function needsMini(f: RecordFaults | undefined): boolean {
  return !!f && (f.oversize !== undefined || f.tinyHandshake !== undefined || !!f.badSignature);
}
