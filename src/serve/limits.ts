/**
 * Connection limits: globally (counted at accept, over every listener) and per endpoint (counted
 * once SNI has routed the connection). A connection over a limit is closed at once and reported
 * with outcome HUBTLS_CONN_LIMIT; the first refusal of an episode also publishes one `conn-limit`
 * warning, and the end of the episode one `conn-limit-cleared` notice (global: when a connection
 * closes below the limit; endpoint: when the next connection is admitted), so a log shows when a
 * bench outgrew the hub without a warning per connection.
 */
import type { Socket } from 'node:net';
import type { EventBus } from '../events/bus.js';

export interface LimitSettings {
  /** Open connections over all listeners at most; 0 = no limit. */
  maxConnections: number;
}

type Scope = 'global' | `endpoint:${string}`;

export class ConnectionLimits {
  private open = 0;
  /** Scopes whose limit was hit and not yet cleared (one warning per episode). */
  private readonly atLimit = new Set<Scope>();

  constructor(
    readonly settings: LimitSettings,
    private readonly bus: EventBus,
  ) {}

  get openConnections(): number {
    return this.open;
  }

  /**
   * At accept. Admitted sockets are counted until they close; a refusal returns the reason for the
   * handshake event (the caller closes the socket and reports).
   */
  admit(socket: Socket): string | undefined {
    const max = this.settings.maxConnections;
    if (max > 0 && this.open >= max) {
      this.hit('global', max, `global connection limit reached: ${max} open connections`);
      return `global connection limit of ${max} open connections reached (limits.maxConnections in the scenario or --max-connections N; 0 = no limit)`;
    }
    this.open++;
    socket.once('close', () => {
      this.open--;
      if (max > 0 && this.open < max) this.clear('global', max);
    });
    return undefined;
  }

  /** After routing: `open` is the endpoint's connections without this one. */
  admitToEndpoint(endpoint: string, max: number, open: number): string | undefined {
    const scope: Scope = `endpoint:${endpoint}`;
    if (max > 0 && open >= max) {
      this.hit(scope, max, `connection limit of endpoint ${endpoint} reached: ${max} open connections`);
      return `connection limit of endpoint ${endpoint} reached: ${max} open connections (endpoints[].maxConnections in the scenario; 0 = no limit)`;
    }
    this.clear(scope, max); // admitted, so the endpoint is under its limit again
    return undefined;
  }

  private hit(scope: Scope, limit: number, msg: string): void {
    if (this.atLimit.has(scope)) return;
    this.atLimit.add(scope);
    this.bus.publish({
      type: 'notice',
      level: 'warn',
      what: 'conn-limit',
      msg: `${msg}; further connections are closed with HUBTLS_CONN_LIMIT`,
      scope,
      limit,
    });
  }

  private clear(scope: Scope, limit: number): void {
    if (!this.atLimit.delete(scope)) return;
    this.bus.publish({
      type: 'notice',
      level: 'info',
      what: 'conn-limit-cleared',
      msg: `${scope} is back under its limit of ${limit} open connections`,
      scope,
      limit,
    });
  }
}

/** A connection refused at accept never reaches Connection: report it here, then close it. */
export function refusedAtAccept(
  socket: Socket,
  at: { conn: number; listener: string; reason: string },
  bus: EventBus,
): void {
  socket.on('error', () => {});
  const peer = `${socket.remoteAddress}:${socket.remotePort}`;
  socket.destroy();
  bus.publish({
    type: 'handshake',
    conn: at.conn,
    listener: at.listener,
    peer,
    outcome: 'HUBTLS_CONN_LIMIT',
    reason: at.reason,
    durationMs: 0,
  });
}
