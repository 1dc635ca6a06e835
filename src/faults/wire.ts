/**
 * The byte-transform hook: a Duplex the TLS engine runs on instead of the socket. What the engine
 * writes goes through the server→client transforms to the socket; what the socket reads goes
 * through the client→server transforms to the engine. Only connections with a wire fault pay for it.
 */
import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { WireOut, WireTransform } from './types.js';

/** Runs `transforms` in order; the last one's output goes to `sink`. */
function chain(
  transforms: WireTransform[],
  sink: (b: Buffer) => Promise<void>,
  socket: Socket,
): (b: Buffer) => Promise<void> {
  return transforms.reduceRight<(b: Buffer) => Promise<void>>((next, transform) => {
    const out = wireOut(next, socket);
    return async (b) => {
      if (!out.closed) await transform(b, out);
    };
  }, sink);
}

function wireOut(next: (b: Buffer) => Promise<void>, socket: Socket): WireOut {
  return {
    push: (b) => (socket.destroyed ? Promise.resolve() : next(b)),
    delay: (ms) =>
      new Promise((resolve) => {
        const done = () => (clearTimeout(timer), socket.off('close', done), resolve());
        const timer = setTimeout(done, ms);
        socket.once('close', done);
      }),
    end: () => void socket.end(),
    reset: () => void socket.resetAndDestroy(),
    get closed() {
      return socket.destroyed || socket.writableEnded;
    },
  };
}

function writeTo(socket: Socket): (b: Buffer) => Promise<void> {
  return (b) =>
    new Promise((resolve) => {
      if (socket.destroyed || socket.writableEnded || b.length === 0) return resolve();
      socket.write(b, () => resolve());
    });
}

export class FaultWire extends Duplex {
  private readonly toClient: (b: Buffer) => Promise<void>;
  private toEngine: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    serverToClient: WireTransform[],
    clientToServer: WireTransform[],
  ) {
    super({ allowHalfOpen: false });
    this.toClient = chain(serverToClient, writeTo(socket), socket);
    const intoEngine = chain(clientToServer, async (b) => void this.push(b), socket);
    // Serialised: a slow client→server transform holds later chunks back, it never reorders them.
    socket.on('data', (d: Buffer) => (this.toEngine = this.toEngine.then(() => intoEngine(d))));
    socket.once('end', () => void this.toEngine.then(() => this.push(null)));
    socket.once('close', () => this.destroy());
    socket.resume();
  }

  override _read(): void {
    // Flowing from the socket's 'data' events; nothing to pull.
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (e?: Error | null) => void): void {
    this.toClient(chunk).then(
      () => done(),
      (e: Error) => done(e),
    );
  }

  override _final(done: () => void): void {
    this.socket.end();
    done();
  }

  override _destroy(err: Error | null, done: (e: Error | null) => void): void {
    this.socket.destroy();
    done(err);
  }
}
