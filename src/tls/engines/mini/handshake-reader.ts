/**
 * Reassembles handshake messages from handshake records (a message may span many records, and a
 * record may carry several messages), and reports ChangeCipherSpec in its place in the flow.
 */
import type { RecordIO } from './record-io.js';
import { TlsAlertError, peerAlert, unexpected } from './failure.js';
import { ALERT, AlertLevel, ContentType, HANDSHAKE_HEADER } from '../../wire/constants.js';
import { readHandshakeHeader } from '../../wire/records.js';
import { WireReader } from '../../wire/reader.js';

export type HandshakeItem = { kind: 'message'; type: number; body: Buffer; raw: Buffer } | { kind: 'ccs' };

/** Larger handshake messages are refused rather than buffered (as the ClientHello reader does). */
const MAX_MESSAGE = 65536;

const recordName = (type: number) =>
  type === ContentType.applicationData ? 'application data' : `record type ${type}`;

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
      else throw unexpected(`unexpected ${recordName(rec.type)} during the handshake`);
    }
  }

  /** The next message of `type`, or unexpected_message. */
  async expect(type: number, what: string): Promise<{ body: Buffer; raw: Buffer }> {
    const item = await this.next();
    if (item.kind === 'message' && item.type === type) return item;
    const got = item.kind === 'ccs' ? 'ChangeCipherSpec' : `handshake type ${item.type}`;
    throw unexpected(`expected ${what}, got ${got}`);
  }

  private take(): HandshakeItem | undefined {
    const h = readHandshakeHeader(this.buf);
    if (!h) return undefined;
    if (h.length > MAX_MESSAGE) {
      throw new TlsAlertError(`handshake message of ${h.length} bytes is too large`, 'malformed', {
        send: ALERT.illegalParameter,
      });
    }
    if (this.buf.length < HANDSHAKE_HEADER + h.length) return undefined;
    const raw = this.buf.subarray(0, HANDSHAKE_HEADER + h.length);
    this.buf = this.buf.subarray(HANDSHAKE_HEADER + h.length);
    return { kind: 'message', type: h.type, body: raw.subarray(HANDSHAKE_HEADER), raw };
  }

  private ccs(data: Buffer): HandshakeItem {
    const malformed = (what: string) => new TlsAlertError(what, 'malformed', { send: ALERT.unexpectedMessage });
    if (this.buf.length) throw malformed('ChangeCipherSpec inside a handshake message');
    if (data.length !== 1 || data[0] !== 1) throw malformed('malformed ChangeCipherSpec');
    return { kind: 'ccs' };
  }

  private onAlert(data: Buffer): void {
    new WireReader(data).bytes(2);
    // A warning (e.g. no_certificate in SSLv3 style) does not end the handshake.
    if (data[0] === AlertLevel.warning && data[1] !== ALERT.closeNotify) return;
    throw peerAlert(data);
  }
}
