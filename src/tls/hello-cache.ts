/**
 * ClientHello summaries kept per shape (src/tls/hello-shape.ts): a device fleet sends a few shapes,
 * so decoding, naming and fingerprinting (JA3/JA4) each one once is enough. A connection gets the
 * shape's summary with its own `bytes`. Bounded: a client that varies its hello on every connection
 * (GREASE) only misses the cache.
 */
import { parseClientHello, type ClientHelloSummary } from './clienthello.js';
import { helloShape } from './hello-shape.js';

export interface ParsedHello {
  hello: ClientHelloSummary;
  /** The shape key; undefined when the message does not frame (it was parsed in full, which says why). */
  shape?: string;
}

export class HelloCache {
  private readonly summaries = new Map<string, ClientHelloSummary>();

  constructor(private readonly limit = 256) {}

  async parse(message: Buffer, rawBytes: number): Promise<ParsedHello> {
    const shape = helloShape(message);
    const known = shape === undefined ? undefined : this.summaries.get(shape);
    if (known) return { hello: { ...known, bytes: rawBytes }, shape };
    const hello = await parseClientHello(message, rawBytes);
    if (shape !== undefined) this.keep(shape, hello);
    return { hello, shape };
  }

  get size(): number {
    return this.summaries.size;
  }

  /** Shared by every connection of the shape from here on: frozen, so no reader can change another's. */
  private keep(shape: string, hello: ClientHelloSummary): void {
    if (this.summaries.size >= this.limit) this.summaries.delete(this.summaries.keys().next().value!);
    const copy = { ...hello };
    for (const v of Object.values(copy)) if (Array.isArray(v)) Object.freeze(v);
    this.summaries.set(shape, Object.freeze(copy));
  }
}
