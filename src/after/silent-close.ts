/**
 * Clients that verify the server chain after the TLS handshake (Node.js — so the Azure SDK for
 * Node —, Java, .NET) send no alert when they reject it: the handshake completes and they drop the
 * TCP connection at once, without application data and without close_notify (not one byte arrives
 * after the handshake). On a device endpoint a device always speaks first (CONNECT, a request), so
 * such a close is reported as HUBTLS_CLIENT_REJECTED_CHAIN, marked inferred: a `session` event, and
 * a `verdict` event that turns the connection's HUBTLS_ACCEPTED handshake into that final verdict
 * (admin API, SSE, dashboard, metrics). A probe that closes politely (openssl s_client sends
 * close_notify) is not, and neither is a connection the hub itself closed (shutdown, a drop).
 *
 * Counting TCP bytes alone cannot see a close_notify that arrived in the same TCP read as the
 * client's Finished (`openssl s_client </dev/null` with TLS 1.3, a resumed TLS 1.2 client that
 * `end()`s at once): the count has already moved when the handshake completes. Node reports a
 * close_notify and a bare FIN alike as the TLS stream's 'end', but not at the same moment: OpenSSL's
 * close_notify ends the TLS stream while the TCP connection is still open and being read (Node's
 * TLSWrap then ignores the FIN that follows), whereas a bare FIN reaches the TLS stream only after
 * the TCP stream has read its EOF. So the TCP stream's state at the TLS stream's 'end' says which of
 * the two it was (see tcpStillReading); the mini engine, which reads the TCP socket in JavaScript,
 * ends its stream on close_notify the same way and on a FIN only after the TCP socket closed.
 */
import os from 'node:os';
import type { Socket } from 'node:net';
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
  const { stream } = ctx.established;
  // Judged at once if the stream ended before the session started (its 'end' is then gone).
  if (stream.readableEnded) watch.ended();
  else stream.once('end', () => watch.ended());
  stream.once('close', () => watch.closed());
  return watch;
}

/** libuv's error for reading a stream that is already being read (UV_EALREADY = -EALREADY on Unix). */
const UV_EALREADY = -os.constants.errno.EALREADY;

interface RawHandle {
  readStart?(): number;
  readStop?(): number;
}

/**
 * Whether the TCP connection under a TLS stream is still open for reading: called synchronously in
 * the TLS stream's 'end', true means the TLS layer ended the stream (close_notify) before TCP's EOF.
 * When OpenSSL reads the TCP handle (the default engine) the socket's JavaScript state never moves,
 * so the handle is asked: libuv answers UV_EALREADY to a read start on a stream it is reading, and
 * stops reading a stream once it has read its EOF (a start then succeeds, and is undone here).
 */
export function tcpStillReading(socket: Socket): boolean {
  if (socket.destroyed || socket.readableEnded) return false;
  const handle = (socket as unknown as { _handle?: RawHandle | null })._handle;
  if (!handle?.readStart) return false;
  const code = handle.readStart();
  if (code === UV_EALREADY) return true;
  if (code === 0) handle.readStop?.();
  return false;
}

/**
 * One small object per session and no timer: the close is judged when it comes, from two numbers
 * taken at the handshake (when, and the bytes read so far) and how the TLS stream ended. The
 * leaf's name comes from the loaded chain: asking the TLS socket for its certificate parsed it
 * again on every connection, and after 'close' touches freed OpenSSL state (the process died with
 * SIGSEGV once).
 */
class SilentClose implements SilentCloseWatch {
  private readonly started = performance.now();
  private readonly bytesAtHandshake: number;
  private spokeFirst = false;
  /** The client's end came with close_notify (the TLS layer ended the stream while TCP was open). */
  private closeNotify = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly protocol: SilentProtocol,
  ) {
    this.bytesAtHandshake = ctx.socket.bytesRead;
  }

  spoke(): void {
    this.spokeFirst = true;
  }

  ended(): void {
    this.closeNotify = this.ctx.socket.endedByCloseNotify();
  }

  closed(): void {
    const ms = Math.round(performance.now() - this.started);
    const { ctx } = this;
    if (this.spokeFirst || this.closeNotify || ms > SILENT_CLOSE_WINDOW_MS) return;
    // A close_notify read with the handshake was caught above; one read later moved the count.
    if (ctx.socket.bytesRead !== this.bytesAtHandshake) return;
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
      handshakeOutcome: ctx.handshakeOutcome,
      inferred: true,
      reason,
    });
  }
}
