/**
 * What rhea takes for its socket: the decrypted stream behind a gate. Bytes reach rhea only once the
 * frame guard passed them; when the hub closes a connection for bad input, nothing more reaches
 * rhea and rhea's own `end()` (it ends the socket at once after a protocol error) waits until the
 * AMQP close frame carrying the error has been written.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';

/** The part of a net.Socket rhea's Connection uses on an accepted socket. */
export class RheaSocket extends EventEmitter {
  /** Set while the hub is writing its own close: rhea's end() is held back until `finish()`. */
  holdEnd = false;
  private ended = false;

  constructor(private readonly stream: Duplex) {
    super();
  }

  /** Hands sound bytes to rhea. */
  deliver(chunk: Buffer): void {
    if (chunk.length > 0 && !this.ended) this.emit('data', chunk);
  }

  write(data: Buffer | string): boolean {
    if (this.ended || !this.stream.writable) return false;
    return this.stream.write(data);
  }

  end(): void {
    if (!this.holdEnd) this.finish();
  }

  /** Ends the stream once what was written is flushed (a destroy follows the flush). */
  finish(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.stream.writable) return void this.stream.destroy();
    this.stream.once('finish', () => this.stream.destroy());
    this.stream.end();
  }

  destroy(): void {
    this.ended = true;
    this.stream.destroy();
  }
}
