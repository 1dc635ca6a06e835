/**
 * The decrypted application stream after a mini handshake. Reads records in order, hands
 * application data up, answers a renegotiation attempt with a no_renegotiation warning (Azure
 * does not renegotiate), ends on close_notify, and sends close_notify when ended.
 */
import { Duplex } from 'node:stream';
import type { RecordIO } from './record-io.js';
import { ContentType, TlsAlertError } from './wire.js';
import { peerAlert } from './handshake-reader.js';

const NO_RENEGOTIATION = 100;

export class MiniStream extends Duplex {
  private pumping = false;

  constructor(private readonly io: RecordIO) {
    super({ allowHalfOpen: false });
    io.socket.once('close', () => this.destroy());
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    this.pump().catch((e: Error) => this.onFailure(e));
  }

  private async pump(): Promise<void> {
    for (;;) {
      const rec = await this.io.next();
      if (rec.type === ContentType.applicationData) {
        if (rec.data.length && !this.push(rec.data)) return void (this.pumping = false);
      } else if (rec.type === ContentType.alert) {
        if (this.onAlert(rec.data)) return;
      } else if (rec.type === ContentType.handshake) {
        this.io.write(ContentType.alert, Buffer.from([1, NO_RENEGOTIATION]));
      } else {
        throw new TlsAlertError('unexpected ChangeCipherSpec after the handshake', { send: 10 });
      }
    }
  }

  /** True when the stream ended (close_notify or a fatal alert). */
  private onAlert(data: Buffer): boolean {
    if (data[1] === 0) {
      this.push(null);
      return true;
    }
    if (data[0] === 1) return false;
    this.destroy(peerAlert(data));
    return true;
  }

  private onFailure(e: Error): void {
    const send = e instanceof TlsAlertError ? e.info.send : undefined;
    if (send !== undefined) this.io.write(ContentType.alert, Buffer.from([2, send]));
    if (e instanceof TlsAlertError && e.info.closed) this.push(null);
    else this.destroy(e);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.io.write(ContentType.applicationData, chunk);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.io.write(ContentType.alert, Buffer.from([1, 0]));
    this.io.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.io.socket.destroy();
    cb(err);
  }
}
