/**
 * The decrypted application stream after a mini handshake. Reads records in order, hands
 * application data up, answers a renegotiation attempt with a no_renegotiation warning (Azure
 * does not renegotiate), ends on close_notify, and sends close_notify when ended.
 */
import { Duplex } from 'node:stream';
import type { RecordIO } from './record-io.js';
import { TlsAlertError, peerAlert, unexpected } from './failure.js';
import { ALERT, AlertLevel, ContentType } from '../../wire/constants.js';
import { alertBody } from '../../wire/records.js';
import { emitTlsSignal } from '../types.js';

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
        this.io.write(ContentType.alert, alertBody(AlertLevel.warning, ALERT.noRenegotiation));
        emitTlsSignal(this, { kind: 'renegotiation-refused' });
      } else {
        throw unexpected('unexpected ChangeCipherSpec after the handshake');
      }
    }
  }

  /** True when the stream ended (close_notify or a fatal alert). */
  private onAlert(data: Buffer): boolean {
    if (data[1] === ALERT.closeNotify) {
      this.push(null);
      return true;
    }
    if (data[0] === AlertLevel.warning) return false;
    this.fatal(peerAlert(data));
    return true;
  }

  private onFailure(e: Error): void {
    const failure = e instanceof TlsAlertError ? e.failure : undefined;
    if (failure?.alertSent !== undefined)
      this.io.write(ContentType.alert, alertBody(AlertLevel.fatal, failure.alertSent));
    if (failure?.kind === 'peer-closed') this.push(null);
    else this.fatal(e);
  }

  private fatal(e: Error): void {
    const failure = e instanceof TlsAlertError ? e.failure : { kind: 'internal' as const, message: e.message };
    emitTlsSignal(this, { kind: 'fatal', failure });
    this.destroy(e);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.io.write(ContentType.applicationData, chunk);
    cb();
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.io.write(ContentType.alert, alertBody(AlertLevel.warning, ALERT.closeNotify));
    this.io.socket.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.io.socket.destroy();
    cb(err);
  }
}
