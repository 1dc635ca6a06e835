/** A TCP socket as the wire of an after-TLS session (after/types.ts SessionWire), in one process. */
import type { Socket } from 'node:net';
import type { SessionWire } from '../after/types.js';
import { closedByHub } from '../util/hub-close.js';
import { tcpStillReading } from '../after/silent-close.js';

export class SocketWire implements SessionWire {
  constructor(private readonly socket: Socket) {}

  get bytesRead(): number {
    return this.socket.bytesRead;
  }

  get closedByHub(): boolean {
    return closedByHub(this.socket);
  }

  endedByCloseNotify(): boolean {
    return tcpStillReading(this.socket);
  }

  resetAfterFlush(): void {
    const s = this.socket;
    if (s.writableLength > 0) s.once('drain', () => this.resetAfterFlush());
    else s.resetAndDestroy();
  }
}
