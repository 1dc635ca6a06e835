/**
 * Reassembles handshake messages from handshake records (a message may span many records, and a
 * record may carry several messages), and reports ChangeCipherSpec in its place in the flow.
 */
import type { RecordIO } from './record-io.js';
import { ContentType, TlsAlertError, Reader } from './wire.js';
import { alertName } from '../../alerts.js';

export type HandshakeItem = { kind: 'message'; type: number; body: Buffer; raw: Buffer } | { kind: 'ccs' };

/** A fatal alert from the peer (or close_notify) as the engine's error. */
export function peerAlert(data: Buffer): TlsAlertError {
  const desc = data[1] ?? 0;
  if (desc === 0) return new TlsAlertError('peer sent close_notify during the handshake', { received: 0, closed: true });
  return new TlsAlertError(`peer sent alert ${alertName(desc)}(${desc})`, { received: desc });
}

export class HandshakeReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly io: RecordIO) {}

  async next(): Promise<HandshakeItem> {
    for (;;) {
      const msg = this.take();
      if (msg) return msg;
      const rec = await this.io.next();
      if (rec.type === ContentType.handshake) this.buf = Buffer.concat([this.buf, rec.data]);
      else if (rec.type === ContentType.changeCipherSpec) return this.ccs(rec.data);
      else if (rec.type === ContentType.alert) this.onAlert(rec.data);
      else throw new TlsAlertError(`unexpected ${rec.type === 23 ? 'application data' : `record type ${rec.type}`} during the handshake`, { send: 10 });
    }
  }

  /** The next message of `type`, or unexpected_message. */
  async expect(type: number, what: string): Promise<{ body: Buffer; raw: Buffer }> {
    const item = await this.next();
    if (item.kind !== 'message' || item.type !== type) throw new TlsAlertError(`expected ${what}, got ${item.kind === 'ccs' ? 'ChangeCipherSpec' : `handshake type ${item.type}`}`, { send: 10 });
    return item;
  }

  private take(): HandshakeItem | undefined {
    if (this.buf.length < 4) return undefined;
    const len = this.buf.readUIntBE(1, 3);
    if (len > 65536) throw new TlsAlertError(`handshake message of ${len} bytes is too large`, { send: 47 });
    if (this.buf.length < 4 + len) return undefined;
    const raw = this.buf.subarray(0, 4 + len);
    this.buf = this.buf.subarray(4 + len);
    return { kind: 'message', type: raw[0]!, body: raw.subarray(4), raw };
  }

  private ccs(data: Buffer): HandshakeItem {
    if (this.buf.length) throw new TlsAlertError('ChangeCipherSpec inside a handshake message', { send: 10 });
    if (data.length !== 1 || data[0] !== 1) throw new TlsAlertError('malformed ChangeCipherSpec', { send: 10 });
    return { kind: 'ccs' };
  }

  private onAlert(data: Buffer): void {
    new Reader(data).bytes(2);
    if (data[0] === 1 && data[1] !== 0) return; // a warning (e.g. no_certificate in SSLv3 style) does not end the handshake
    throw peerAlert(data);
  }
}
