/**
 * The primary's end of the relay (`--workers N`): each local connection from a worker is one
 * established TLS session. Its hello frame says who it is; the session is then started like one in a
 * single process (the endpoint's after-TLS mode, the one hub core), on a stream that carries the
 * relayed plaintext, and tracked so a drop or a shutdown reaches it.
 */
import net from 'node:net';
import { Duplex } from 'node:stream';
import type { EventBus } from '../../events/bus.js';
import type { SessionWire } from '../../after/types.js';
import { closedByHub } from '../../util/hub-close.js';
import type { SessionStart } from '../connection.js';
import { FRAME, FrameReader, frame, type Frame } from './frames.js';
import { establishedOf, type RelayHello } from './hello.js';

export interface RelayTargets {
  bus: EventBus;
  startSession(s: SessionStart): void;
  /** The connection registry: the relay socket stands for the device's connection here. */
  track(endpoint: string, socket: net.Socket): void;
  trackSession(socket: net.Socket, stream: Duplex): void;
}

export class RelayServer {
  private readonly server: net.Server;
  private readonly open = new Set<net.Socket>();

  constructor(private readonly t: RelayTargets) {
    this.server = net.createServer((socket) => this.accept(socket));
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => (this.server.off('error', reject), resolve()));
    });
  }

  async close(): Promise<void> {
    for (const s of this.open) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(socket: net.Socket): void {
    this.open.add(socket);
    socket.once('close', () => this.open.delete(socket));
    socket.on('error', () => {}); // 'close' follows
    const reader = new FrameReader();
    let session: PrimaryRelay | undefined;
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const f of reader.push(chunk)) {
          if (session) session.onFrame(f);
          else if (f.type === FRAME.hello) session = this.start(socket, JSON.parse(f.payload.toString()) as RelayHello);
          else throw new Error(`relay: frame ${f.type} before hello`);
        }
      } catch (e) {
        const msg = `a relayed session broke its framing and was closed: ${(e as Error).message}`;
        this.t.bus.publish({ type: 'notice', level: 'error', what: 'relay', msg });
        socket.destroy();
      }
    });
  }

  private start(socket: net.Socket, h: RelayHello): PrimaryRelay {
    const relay = new PrimaryRelay(socket, h.bytesRead);
    this.t.track(h.endpoint, socket);
    this.t.trackSession(socket, relay.stream);
    this.t.startSession({
      conn: h.conn,
      peer: h.peer,
      endpoint: h.endpoint,
      established: { ...establishedOf(h), stream: relay.stream },
      socket: relay.wire,
      handshakeOutcome: h.handshakeOutcome,
    });
    return relay;
  }
}

/** One relayed session: the stream its after-TLS mode reads and writes, and the wire it judges. */
class PrimaryRelay {
  readonly stream: RelayStream;
  readonly wire: RelayWire;

  constructor(socket: net.Socket, bytesRead: number) {
    this.wire = new RelayWire(socket, bytesRead);
    this.stream = new RelayStream(socket);
  }

  onFrame(f: Frame): void {
    switch (f.type) {
      case FRAME.data:
        return this.stream.deliver(f.payload);
      case FRAME.end: {
        const end = JSON.parse(f.payload.toString() || '{}') as { closeNotify?: boolean };
        this.wire.closeNotify = end.closeNotify === true;
        return void this.stream.push(null);
      }
      case FRAME.fin: {
        const fin = JSON.parse(f.payload.toString()) as { bytesRead: number; closedByHub: boolean };
        return this.wire.finished(fin.bytesRead, fin.closedByHub);
      }
      default:
        throw new Error(`relay: frame ${f.type} does not go to the primary`);
    }
  }
}

class RelayWire implements SessionWire {
  private hubClosed = false;
  /** From the worker's end frame: the client's end came with close_notify. */
  closeNotify = false;

  constructor(
    private readonly socket: net.Socket,
    public bytesRead: number,
  ) {}

  get closedByHub(): boolean {
    // A drop here marks the relay socket; one in the worker (its shutdown, its drop) comes in the fin frame.
    return this.hubClosed || closedByHub(this.socket);
  }

  endedByCloseNotify(): boolean {
    return this.closeNotify;
  }

  finished(bytesRead: number, hubClosed: boolean): void {
    this.bytesRead = bytesRead;
    this.hubClosed = hubClosed;
  }

  resetAfterFlush(): void {
    if (this.socket.writable) this.socket.end(frame(FRAME.reset));
  }
}

/** A TLS session's plaintext as a Duplex, like the TLSSocket it stands for (no half-open). */
class RelayStream extends Duplex {
  private ended = false;

  constructor(private readonly socket: net.Socket) {
    super({ allowHalfOpen: false });
    socket.once('close', () => this.destroy());
  }

  deliver(data: Buffer): void {
    if (!this.push(data)) this.socket.pause();
  }

  override _read(): void {
    this.socket.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (!this.socket.writable) return cb();
    if (this.socket.write(frame(FRAME.data, chunk))) cb();
    else this.socket.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.ended = true;
    if (this.socket.writable) this.socket.end(frame(FRAME.end));
    cb();
  }

  override _destroy(e: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.ended && this.socket.writable) this.socket.end(frame(FRAME.destroy));
    cb(e);
  }
}
