/**
 * AMQP 1.0 framing checks, made on the bytes before rhea sees them (sans-IO). rhea's transport
 * buffers whatever size a frame header claims until that many bytes arrive, so one peer claiming a
 * 4 GiB frame could make the process hold everything it sends; and it answers a bad protocol header
 * by dropping the socket. The guard follows the protocol headers (SASL, then AMQP) and each frame
 * header (size, data offset, type), and names the first violation with the condition AMQP gives it.
 */

/** The max-frame-size hubtls announces in its open and enforces on every frame it reads (IoT Hub's 64 KiB). */
export const AMQP_MAX_FRAME_SIZE = 64 * 1024;

/** The 8-byte protocol header: `AMQP`, protocol id (0 AMQP, 3 SASL), version 1.0.0. */
export const AMQP_HEADER = Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 1, 0, 0]);
const PREFIX = AMQP_HEADER.subarray(0, 4);

export type AmqpLayer = 'none' | 'sasl' | 'amqp';

export interface FrameProblem {
  /** AMQP error condition for the close (amqp:connection:framing-error, …). */
  condition: string;
  description: string;
  /** The layer in force when it happened: no AMQP close can be sent before the AMQP header. */
  layer: AmqpLayer;
}

export interface GuardStep {
  /** Bytes of the chunk before this offset are sound and may go to rhea. */
  end: number;
  problem?: FrameProblem;
}

const FRAMING = 'amqp:connection:framing-error';

export class AmqpFrameGuard {
  private layer: AmqpLayer = 'none';
  /** Bytes of the current 8-byte header (protocol or frame) collected so far. */
  private head: number[] = [];
  /** Body bytes of the current frame still to come. */
  private left = 0;

  constructor(private readonly maxFrameSize = AMQP_MAX_FRAME_SIZE) {}

  get current(): AmqpLayer {
    return this.layer;
  }

  /** Walks `chunk`; stops at the first violation (the bytes from `end` on must not be parsed). */
  check(chunk: Buffer): GuardStep {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const n = Math.min(this.left, chunk.length - i);
        this.left -= n;
        i += n;
        continue;
      }
      const start = i;
      while (i < chunk.length && this.head.length < 8) this.head.push(chunk[i++]!);
      if (this.head.length < 8) break;
      const problem = this.headerDone(Buffer.from(this.head));
      this.head = [];
      if (problem) return { end: start, problem };
    }
    return { end: chunk.length };
  }

  private headerDone(h: Buffer): FrameProblem | undefined {
    const isProtocolHeader = h.subarray(0, 4).equals(PREFIX);
    if (this.layer === 'none' || (this.layer === 'sasl' && isProtocolHeader)) return this.protocolHeader(h);
    return this.frameHeader(h);
  }

  private protocolHeader(h: Buffer): FrameProblem | undefined {
    const id = h[4]!;
    const text = `${[...h].map((b) => b.toString(16).padStart(2, '0')).join(' ')}`;
    if (!h.subarray(0, 4).equals(PREFIX) || h[5] !== 1 || h[6] !== 0 || h[7] !== 0)
      return this.problem(FRAMING, `not an AMQP 1.0 protocol header (${text}); expected AMQP 0 1.0.0 or AMQP 3 1.0.0`);
    if (id === 3 && this.layer === 'none') return void (this.layer = 'sasl');
    if (id === 0) return void (this.layer = 'amqp');
    return this.problem(FRAMING, `protocol header with id ${id} in the ${this.layer} layer (${text})`);
  }

  private frameHeader(h: Buffer): FrameProblem | undefined {
    const size = h.readUInt32BE(0);
    const doff = h[4]!;
    const type = h[5]!;
    if (size > this.maxFrameSize)
      return this.problem(
        FRAMING,
        `frame of ${size} bytes is over the max-frame-size of ${this.maxFrameSize} bytes this hub announced`,
      );
    if (size < 8) return this.problem(FRAMING, `frame size ${size} is below the 8-byte frame header`);
    if (doff < 2 || doff * 4 > size)
      return this.problem(FRAMING, `frame data offset ${doff} (×4 bytes) does not fit a ${size}-byte frame`);
    const want = this.layer === 'sasl' ? 1 : 0;
    if (type !== want)
      return this.problem(FRAMING, `frame type ${type} in the ${this.layer.toUpperCase()} layer (expected ${want})`);
    this.left = size - 8;
    return undefined;
  }

  private problem(condition: string, description: string): FrameProblem {
    return { condition, description, layer: this.layer };
  }
}
