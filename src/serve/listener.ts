/**
 * One TCP listener (host:port) serving one or more endpoints, routed by SNI. It owns the sockets;
 * each connection runs through Connection, whose verdict is published on the bus.
 */
import net from 'node:net';
import { HubtlsError } from '../errors.js';
import type { ListenerSpec } from '../scenario/compile.js';
import { Connection, type ServeDeps } from './connection.js';
import { refusedAtAccept } from './limits.js';
import { markClosedByHub } from '../util/hub-close.js';

export interface ListenerDeps extends ServeDeps {
  /** At accept, before the ClientHello: why the hub refuses one more connection (global limit), or undefined. */
  admit(socket: net.Socket): string | undefined;
  /** Connection ids, unique across the hub's processes (`--workers N`); default: 1, 2, 3, … */
  connIds?: () => number;
}

let nextConnId = 1;

export class HubListener {
  private readonly server: net.Server;
  private readonly conns = new Map<net.Socket, Connection>();
  /** Connections still before their verdict (what a graceful shutdown waits for). */
  private readonly inFlight = new Set<Promise<void>>();
  /** Connections accepted so far; each ends in exactly one handshake event (`hubtls test` waits for them all). */
  accepted = 0;
  /** Waiting for the last open connection to close (see idle). */
  private idleWaiters: Array<() => void> = [];

  constructor(
    /** Replaced on hot reload (same host:port, other endpoints); new connections read it at accept. */
    public spec: ListenerSpec,
    private readonly deps: ListenerDeps,
  ) {
    this.server = net.createServer({ noDelay: true }, (socket) => this.onConnection(socket));
  }

  /** host:port as bound, kept once known: every connection's event names its listener. */
  private boundName?: string;

  get name(): string {
    if (this.boundName) return this.boundName;
    const a = this.server.address() as net.AddressInfo | null;
    if (!a) return `${this.spec.host}:${this.spec.port}`;
    return (this.boundName = `${this.spec.host}:${a.port}`);
  }

  get port(): number {
    return (this.server.address() as net.AddressInfo).port;
  }

  private onConnection(socket: net.Socket): void {
    this.accepted++;
    const id = this.deps.connIds?.() ?? nextConnId++;
    const refusal = this.deps.admit(socket);
    if (refusal) return refusedAtAccept(socket, { conn: id, listener: this.name, reason: refusal }, this.deps.bus);
    const conn = new Connection(socket, id, this.name, this.spec.endpoints, this.deps);
    this.conns.set(socket, conn);
    socket.once('close', () => {
      this.conns.delete(socket);
      if (this.conns.size === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    });
    const run = conn.run().finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  listen(): Promise<net.AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (e: NodeJS.ErrnoException) => reject(bindError(e, this.spec));
      this.server.once('error', onError);
      this.server.listen(this.spec.port, this.spec.host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as net.AddressInfo);
      });
    });
  }

  /** Stops accepting; with `drain` false, open connections are dropped at once. */
  async close(drain = false): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    if (!drain) this.dropAll();
    await closed;
  }

  /**
   * Graceful stop: accept nothing new; handshakes in flight get up to `drainMs` to reach their
   * verdict (the rest end as timeouts); every session is then ended with close_notify and, after
   * `graceMs`, whatever is still open is dropped.
   */
  async shutdown(drainMs: number, graceMs = 1000): Promise<{ inFlight: number; ended: number }> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    const inFlight = this.inFlight.size;
    await within(Promise.allSettled([...this.inFlight]), drainMs);
    const ended = this.conns.size;
    for (const c of this.conns.values()) c.stop();
    // A stopped handshake reports its verdict once its destroyed socket has closed, which a starved
    // process may take a while to see: wait for those on their own bound, so the hub's `stopped`
    // notice is the last event. Sessions then get `graceMs` to answer close_notify.
    await within(Promise.allSettled([...this.inFlight]), STOPPED_VERDICT_MS);
    await within(closed, graceMs);
    this.dropAll();
    await closed;
    return { inFlight, ended };
  }

  /** Drops every open connection (Azure restarting a gateway): devices see the new state on reconnect. */
  dropAll(): number {
    const n = this.conns.size;
    for (const s of this.conns.keys()) {
      markClosedByHub(s);
      s.destroy();
    }
    return n;
  }

  get openConnections(): number {
    return this.conns.size;
  }

  /** Resolves once this listener holds no open connection: now, or when the last one closes. */
  idle(): Promise<void> {
    if (this.conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** How long a shutdown waits for the verdicts of the handshakes it stopped (their sockets are destroyed). */
const STOPPED_VERDICT_MS = 5000;

/** Waits for `p`, at most `ms`; never rejects. */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** What a failed bind means, and what to do about it. */
export function bindError(e: NodeJS.ErrnoException, spec: Pick<ListenerSpec, 'host' | 'port'>): HubtlsError {
  const where = `${spec.host}:${spec.port}`;
  if (e.code === 'EADDRINUSE')
    return new HubtlsError(
      'HUBTLS_PORT_IN_USE',
      `port ${where} is already in use`,
      'stop the other process or pick another port with --port N (0 = any free port)',
    );
  if (e.code === 'EACCES')
    return new HubtlsError(
      'HUBTLS_PORT_DENIED',
      `not allowed to listen on ${where}`,
      spec.port < 1024
        ? `ports below 1024 need privileges: let node bind them (setcap cap_net_bind_service=+ep on the node binary), lower net.ipv4.ip_unprivileged_port_start to ${spec.port}, or give the endpoint another port and map ${spec.port} to it (docs/devices.md, "WebSockets on 443")`
        : 'pick another port with --port N (0 = any free port)',
    );
  if (e.code === 'EADDRNOTAVAIL')
    return new HubtlsError(
      'HUBTLS_ADDRESS_UNAVAILABLE',
      `address ${spec.host} is not on this machine`,
      'use 127.0.0.1 or an address of this machine',
    );
  return new HubtlsError('HUBTLS_LISTEN_FAILED', `cannot listen on ${where}: ${e.message}`);
}
