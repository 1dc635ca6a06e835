/**
 * A worker's after-TLS stage with `--workers N`: the established session is relayed to the primary,
 * which runs the endpoint's after-TLS mode on it with the one hub core (registry, twins, C2D). The
 * TLS connection stays here; its plaintext and its fate travel as frames (relay/frames.ts).
 */
import net from 'node:net';
import type { EventBus } from '../../events/bus.js';
import type { SessionStart } from '../connection.js';
import { FRAME, FrameReader, frame, jsonFrame, type Frame } from './frames.js';
import { helloOf } from './hello.js';

export function relaySessions(path: string, bus: EventBus): (s: SessionStart) => void {
  return (s) => new WorkerRelay(path, bus, s).start();
}

class WorkerRelay {
  private readonly relay: net.Socket;
  private readonly reader = new FrameReader();
  private finSent = false;

  constructor(
    path: string,
    private readonly bus: EventBus,
    private readonly s: SessionStart,
  ) {
    this.relay = net.connect(path);
  }

  start(): void {
    const { relay } = this;
    const tls = this.s.established.stream;
    relay.on('error', () => {}); // 'close' follows; the session ends with it
    relay.write(jsonFrame(FRAME.hello, helloOf(this.s)));
    tls.on('data', (d: Buffer) => {
      if (!relay.write(frame(FRAME.data, d))) {
        tls.pause();
        relay.once('drain', () => tls.resume());
      }
    });
    // Whether the client's end was a close_notify is only visible here, at this moment (the TCP handle).
    tls.on('end', () => {
      const closeNotify = this.s.socket.endedByCloseNotify();
      if (relay.writable) relay.write(jsonFrame(FRAME.end, { closeNotify }));
    });
    tls.once('close', () => this.fin());
    relay.on('data', (chunk: Buffer) => this.onRelay(chunk));
    relay.once('close', () => {
      // The primary went away (a restart, a crash): its session is gone, so is this connection.
      if (!this.finSent) tls.destroy();
    });
  }

  private onRelay(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.reader.push(chunk);
    } catch (e) {
      const msg = `conn ${this.s.conn}: ${(e as Error).message}; session closed`;
      this.bus.publish({ type: 'notice', level: 'error', what: 'relay', msg, conn: this.s.conn });
      return void this.s.established.stream.destroy();
    }
    for (const f of frames) this.onFrame(f);
  }

  private onFrame(f: Frame): void {
    const tls = this.s.established.stream;
    switch (f.type) {
      case FRAME.data:
        if (!tls.write(f.payload)) {
          this.relay.pause();
          tls.once('drain', () => this.relay.resume());
        }
        return;
      case FRAME.end:
        return void tls.end();
      case FRAME.destroy:
        return void tls.destroy();
      case FRAME.reset:
        return this.resetAfterFlush();
    }
  }

  /** KillTcp: what the session wrote leaves the TLS stream and the socket, then a TCP reset. */
  private resetAfterFlush(): void {
    const tls = this.s.established.stream;
    if (tls.writableLength > 0) tls.once('drain', () => this.resetAfterFlush());
    else this.s.socket.resetAfterFlush();
  }

  /** The TLS connection closed: its byte count and whether the hub closed it go last, then the relay ends. */
  private fin(): void {
    if (this.finSent) return;
    this.finSent = true;
    const { bytesRead, closedByHub } = this.s.socket;
    if (this.relay.writable) this.relay.end(jsonFrame(FRAME.fin, { bytesRead, closedByHub }));
  }
}
