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
import { closedByHub } from '../util/hub-close.js';

/** A rejecting client closes within milliseconds; a device that idles and leaves is not one. */
export const SILENT_CLOSE_WINDOW_MS = 2000;

export interface SilentCloseWatch {
  /** The client sent application data: it accepted the chain. */
  spoke(): void;
}

export function watchSilentClose(
  ctx: SessionContext,
  protocol: 'mqtt' | 'https' | 'amqp' | 'amqp-ws',
): SilentCloseWatch {
  const started = performance.now();
  const bytesAtHandshake = ctx.socket.bytesRead;
  // Read now: asking a TLS socket for its certificate after 'close' touches freed OpenSSL state
  // (the process died with SIGSEGV at exit once a Node client had dropped such a connection).
  const leaf = (ctx.established.tlsSocket?.getCertificate() as { subject?: { CN?: string } } | null | undefined)
    ?.subject?.CN;
  let spoke = false;
  ctx.established.stream.once('close', () => {
    const ms = Math.round(performance.now() - started);
    if (spoke || ms > SILENT_CLOSE_WINDOW_MS || ctx.socket.bytesRead !== bytesAtHandshake) return;
    // The hub ended it (shutdown, a drop): the client said nothing about our chain.
    if (closedByHub(ctx.socket)) return;
    const reason = `client dropped the connection ${ms} ms after the handshake without sending a byte (no data, no close_notify): it most likely rejected our chain (leaf ${leaf ?? '?'}); clients that verify after the handshake (Node.js, Java, .NET) send no alert`;
    const outcome = 'HUBTLS_CLIENT_REJECTED_CHAIN';
    publishSession(ctx, protocol, {
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
  });
  return { spoke: () => void (spoke = true) };
}
