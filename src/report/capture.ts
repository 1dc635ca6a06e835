/**
 * `hubtls inspect`'s listener: accepts a device's connection, reads its ClientHello (the same
 * reader the hub uses), answers with a handshake_failure alert — inspect never completes a
 * handshake — and assesses each distinct ClientHello against every profile.
 */
import net from 'node:net';
import { readClientHello } from '../tls/hello-reader.js';
import { parseClientHello, type ClientHelloSummary } from '../tls/clienthello.js';
import { ALERT } from '../tls/wire/constants.js';
import { alertRecord } from '../tls/wire/records.js';
import { HubtlsError } from '../errors.js';
import { assessHello } from './readiness.js';
import type { CapturedHello, ReadinessReport } from './readiness-render.js';

export interface CaptureOptions {
  host: string;
  port: number;
  /** Scenario time to evaluate dated profile entries at (default: now). */
  at?: Date;
  profiles?: string[];
  /** How long one connection may take to send its ClientHello. */
  helloTimeoutMs?: number;
  /** Every ClientHello, new or repeated (isNew false: counted into an earlier one). */
  onHello?(h: CapturedHello, isNew: boolean): void;
  /** A connection that sent no usable ClientHello (port scanner, plain MQTT, …). */
  onProblem?(peer: string, message: string): void;
}

/** Retries of one device differ only in random fields: the same fingerprint, SNI and MFL is the same ClientHello. */
const keyOf = (h: ClientHelloSummary) => `${h.ja4}|${h.ja3}|${h.sni ?? ''}|${h.maxFragmentLength ?? ''}`;
const MAX_PEERS = 5;

export class HelloCapture {
  private readonly seen = new Map<string, CapturedHello>();
  private readonly sockets = new Set<net.Socket>();
  private readonly server: net.Server;

  private constructor(private readonly o: CaptureOptions) {
    this.server = net.createServer((s) => void this.onConnection(s));
  }

  static async listen(o: CaptureOptions): Promise<HelloCapture> {
    const c = new HelloCapture(o);
    await new Promise<void>((resolve, reject) => {
      c.server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new HubtlsError(
            'HUBTLS_PORT_IN_USE',
            `cannot listen on ${o.host}:${o.port}: ${e.code ?? e.message}`,
            'pick another port with --port N (0 = any free port)',
          ),
        ),
      );
      c.server.listen(o.port, o.host, () => resolve());
    });
    return c;
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private async onConnection(socket: net.Socket): Promise<void> {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.sockets.add(socket);
    socket.on('error', () => {}).once('close', () => this.sockets.delete(socket));
    const timer = setTimeout(() => socket.destroy(), this.o.helloTimeoutMs ?? 10_000);
    try {
      const raw = await readClientHello(socket);
      this.record(await parseClientHello(raw.message, raw.raw.length), socket.remoteAddress ?? peer);
      socket.end(alertRecord(ALERT.handshakeFailure, raw.recordVersion));
    } catch (e) {
      this.o.onProblem?.(peer, (e as Error).message);
      socket.destroy();
    } finally {
      clearTimeout(timer);
    }
  }

  private record(hello: ClientHelloSummary, address: string): void {
    const key = keyOf(hello);
    const known = this.seen.get(key);
    if (known) {
      known.count++;
      if (!known.peers.includes(address) && known.peers.length < MAX_PEERS) known.peers.push(address);
      return this.o.onHello?.(known, false);
    }
    const h: CapturedHello = {
      id: this.seen.size + 1,
      peers: [address],
      count: 1,
      ...assessHello(hello, { at: this.o.at, profiles: this.o.profiles }),
    };
    this.seen.set(key, h);
    this.o.onHello?.(h, true);
  }

  /** Distinct ClientHellos so far. */
  get distinct(): number {
    return this.seen.size;
  }

  report(): ReadinessReport {
    return {
      generatedAt: new Date().toISOString(),
      at: (this.o.at ?? new Date()).toISOString(),
      hellos: [...this.seen.values()],
    };
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
