/**
 * Packet size limits, checked on the fixed header before any of the body is buffered. mqtt-packet's
 * parser (9.x) has no maximum for MQTT 3.1.1: it keeps appending bytes until the remaining length
 * it read arrives, so one device claiming 268,435,455 bytes could make the process hold them all.
 */

/** IoT Hub's device-to-cloud message limit (body + properties). */
export const MESSAGE_LIMIT = 256 * 1024;
/** Any packet after a good CONNECT: a 256 KiB message plus 64 KiB for its topic (IoT Hub carries properties there). */
export const PACKET_LIMIT = MESSAGE_LIMIT + 64 * 1024;
/** Before a good CONNECT: client id, user name, SAS token and a will message fit easily. */
export const CONNECT_LIMIT = 16 * 1024;

const NAMES = ['', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP', 'SUBSCRIBE'];
const MORE_NAMES = ['SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];
const packetName = (first: number) => [...NAMES, ...MORE_NAMES][first >> 4] ?? 'packet';

export interface FrameStep {
  /** Offset in the chunk up to which bytes were walked (feed them to the parser). */
  end: number;
  /** Set when a fixed header was completed at `end`: the packet's name and remaining length. */
  header?: { name: string; length: number };
  /** Set when the remaining length is not a valid variable byte integer (more than 4 bytes). */
  malformed?: boolean;
}

/**
 * Follows packet boundaries in the byte stream (fixed header: type byte, then a 1–4 byte remaining
 * length), so the session can check each packet's length against the limit in force when its
 * header arrives, after the packets before it have been parsed.
 */
export class FrameTracker {
  private header: number[] = [];
  /** Body bytes of the current packet still to come. */
  private left = 0;

  /** Walks `chunk` from `from` to the end of the next fixed header, or to the chunk's end. */
  step(chunk: Buffer, from: number): FrameStep {
    let i = from;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        continue;
      }
      const b = chunk[i++]!;
      this.header.push(b);
      if (this.header.length === 1 || b & 0x80) {
        if (this.header.length === 5) return { end: i, malformed: true };
        continue;
      }
      const length = this.header.slice(1).reduce((sum, byte, k) => sum + (byte & 0x7f) * 128 ** k, 0);
      const name = packetName(this.header[0]!);
      this.header = [];
      this.left = length;
      return { end: i, header: { name, length } };
    }
    return { end: i };
  }
}

export function limitReason(name: string, length: number, connected: boolean): string {
  const limit = connected ? PACKET_LIMIT : CONNECT_LIMIT;
  const which = connected
    ? `the ${PACKET_LIMIT}-byte packet limit (IoT Hub's 256 KiB message + 64 KiB topic)`
    : `the ${CONNECT_LIMIT}-byte limit before a good CONNECT`;
  return `${name} of ${length} bytes is over ${which}; ${length - limit} bytes too many, closing`;
}
