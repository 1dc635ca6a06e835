/**
 * The connection registry: which open connections each endpoint has, so that a timeline step or
 * the admin API can count and drop them (Azure restarting a gateway). One job: track, count, drop.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EventBus } from '../events/bus.js';
import { notice } from './notice.js';
import { markClosedByHub } from '../util/hub-close.js';
import type { ChangeFeed } from './changes.js';

export class ConnectionRegistry {
  private readonly sockets = new Map<string, Set<Socket>>();
  private readonly outer = new WeakMap<Socket, Duplex>();

  constructor(
    private readonly bus: EventBus,
    private readonly changes: ChangeFeed,
  ) {}

  /** A connection routed to an endpoint; forgotten when its socket closes. */
  track(endpoint: string, socket: Socket): void {
    const set = this.sockets.get(endpoint) ?? new Set<Socket>();
    this.sockets.set(endpoint, set.add(socket));
    socket.once('close', () => set.delete(socket));
  }

  /**
   * The TLS stream running on a tracked socket once the handshake is done. drop() must destroy that
   * outer stream: destroying the TCP socket under a live TLSSocket that then writes (an MQTT session
   * ending with close_notify) crashes Node 20 with SIGSEGV.
   */
  session(socket: Socket, stream: Duplex): void {
    this.outer.set(socket, stream);
  }

  open(endpoint: string): number {
    return this.sockets.get(endpoint)?.size ?? 0;
  }

  /** Drops every connection of one endpoint (or all): devices meet the new state on reconnect. */
  drop(endpoint?: string): number {
    let n = 0;
    for (const [name, set] of this.sockets) {
      if (endpoint && name !== endpoint) continue;
      for (const s of set) {
        markClosedByHub(s);
        (this.outer.get(s) ?? s).destroy();
        n++;
      }
    }
    this.changes.emit({ kind: 'drop', endpoint });
    notice(this.bus, 'drop', `dropped ${n} connection(s)${endpoint ? ` of ${endpoint}` : ''}`, {
      endpoint,
      dropped: n,
    });
    return n;
  }
}
