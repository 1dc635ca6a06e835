/**
 * Clients that verify the server chain after the TLS handshake (Node.js — so the Azure SDK for
 * Node —, Java, .NET) send no alert when they reject it: the handshake completes and they drop the
 * TCP connection at once, without application data and without close_notify (not one byte arrives
 * after the handshake). On a device endpoint a device always speaks first (CONNECT, a request), so
 * such a close is reported as HUBTLS_CLIENT_REJECTED_CHAIN, marked inferred: a `session` event, and
 * a `verdict` event that turns the connection's HUBTLS_ACCEPTED handshake into that final verdict
 * (admin API, SSE, dashboard, metrics). A probe that closes politely (openssl s_client sends
 * close_notify) is not, and neither is a connection the hub itself closed (shutdown, a drop).
 */
import { publishSession } from './events.js';
import type { SessionContext } from './types.js';

/** A rejecting client closes within milliseconds; a device that idles and leaves is not one. */
export const SILENT_CLOSE_WINDOW_MS = 2000;

export interface SilentCloseWatch {
  /** The client sent application data: it accepted the chain. */
  spoke(): void;
}

/** The after-TLS protocols whose sessions are watched. */
export type SilentProtocol = 'mqtt' | 'https' | 'amqp' | 'amqp-ws';

export function watchSilentClose(ctx: SessionContext, protocol: SilentProtocol): SilentCloseWatch {
  const watch = new SilentClose(ctx, protocol);
  ctx.established.stream.once('close', () => watch.closed());
  return watch;
}

/**
 * One small object per session and no timer: the close is judged when it comes, from two numbers
 * taken at the handshake (when, and the bytes read so far). The leaf's name comes from the loaded
 * chain: asking the TLS socket for its certificate parsed it again on every connection, and after
 * 'close' touches freed OpenSSL state (the process died with SIGSEGV once).
 */
class SilentClose implements SilentCloseWatch {
  private readonly started = performance.now();
  private readonly bytesAtHandshake: number;
  private spokeFirst = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly protocol: SilentProtocol,
  ) {
    this.bytesAtHandshake = ctx.socket.bytesRead;
  }

  spoke(): void {
    this.spokeFirst = true;
  }

  closed(): void {
    const ms = Math.round(performance.now() - this.started);
    const { ctx } = this;
    if (this.spokeFirst || ms > SILENT_CLOSE_WINDOW_MS || ctx.socket.bytesRead !== this.bytesAtHandshake) return;
    // The hub ended it (shutdown, a drop): the client said nothing about our chain.
    if (ctx.socket.closedByHub) return;
    const leaf = ctx.established.servedLeaf ?? '?';
    const reason = `client dropped the connection ${ms} ms after the handshake without sending a byte (no data, no close_notify): it most likely rejected our chain (leaf ${leaf}); clients that verify after the handshake (Node.js, Java, .NET) send no alert`;
    const outcome = 'HUBTLS_CLIENT_REJECTED_CHAIN';
    // For the session's own story (its protocol, its peer); the log writes the verdict line alone.
    publishSession(ctx, this.protocol, {
      action: 'connect',
      ok: false,
      outcome,
      reason,
      detail: { inferred: true, msAfterHandshake: ms },
    });
    // The connection's final verdict: the ring, metrics, SSE and dashboard amend its handshake with it.
    ctx.bus.publish({
      type: 'verdict',
      conn: ctx.conn,
      endpoint: ctx.endpoint.name,
      outcome,
      handshakeOutcome: 'HUBTLS_ACCEPTED',
      inferred: true,
      reason,
    });
  }
}
