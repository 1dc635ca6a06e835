/**
 * One server-side AMQP 1.0 connection on rhea over any decrypted stream (TLS now, a WebSocket
 * later), shared by the IoT Hub and DPS adapters: its own rhea container (so no event of one
 * connection reaches another), SASL ANONYMOUS and EXTERNAL or no SASL at all (as IoT Hub: identity
 * comes from CBS tokens or the TLS client certificate, never from SASL), a 64 KiB max-frame-size
 * enforced by the frame guard before rhea buffers anything, a 30 s limit for the peer's open, and
 * containment: every handler runs in a try, rhea's errors become an AMQP close on this connection
 * and a session event, nothing escapes to the process.
 *
 * Events published here: `open` (the peer's open: container id, host name, SASL mechanism),
 * `protocol-error` (bad input, with the AMQP condition sent), `disconnect` (the connection ended).
 */
import rhea, { type AmqpError, type Connection, type EventContext } from 'rhea';
import type { Duplex } from 'node:stream';
import { publishSession, type SessionFields } from '../events.js';
import type { SessionContext } from '../types.js';
import { AMQP_HEADER, AMQP_MAX_FRAME_SIZE, AmqpFrameGuard, type FrameProblem } from './frames.js';
import { RheaSocket } from './socket.js';

export type AmqpProtocol = 'amqp' | 'amqp-ws';

/** IoT Hub closes a connection that has not opened soon after TLS, and idles out at 240 s. */
export const OPEN_TIMEOUT_MS = 30_000;
export const IDLE_TIMEOUT_MS = 240_000;
/** After the hub's close frame, how long the peer gets to answer before the stream is destroyed. */
const CLOSE_GRACE_MS = 5_000;

/** rhea's events a behaviour may handle (link, delivery and session events). */
export type RheaEvent =
  | 'sender_open'
  | 'receiver_open'
  | 'sender_close'
  | 'receiver_close'
  | 'message'
  | 'accepted'
  | 'released'
  | 'rejected'
  | 'sendable'
  | 'session_close';

export interface AmqpBehaviour {
  /** The peer's open arrived; an error refuses the connection (sent in the close). */
  opened?(c: EventContext): AmqpError | undefined;
  on: Partial<Record<RheaEvent, (c: EventContext) => void>>;
  /** The connection ended; `violation`: the hub closed it for bad input or a timeout. */
  closed?(reason: string, violation: boolean): void;
  /** The device the connection served, for the `disconnect` event (one identity: its id). */
  deviceId?(): string | undefined;
}

export interface AmqpLink {
  connection: Connection;
  protocol: AmqpProtocol;
  event(fields: SessionFields): void;
  /** Closes the connection with an AMQP error (and ends it after the close frame). */
  fail(error: AmqpError, violation?: boolean): void;
}

const EXTRA_EVENTS: RheaEvent[] = ['sender_close', 'receiver_close', 'session_close'];

/** IoT Hub accepts SASL ANONYMOUS and EXTERNAL (or none); which one the peer chose is only reported. */
function mechanisms(chosen: (name: string, hostname?: string) => void): Record<string, () => object> {
  const mech = (name: string) => () => ({
    outcome: undefined as boolean | undefined,
    start(_response: unknown, hostname?: string) {
      this.outcome = true;
      chosen(name, hostname);
    },
  });
  return { ANONYMOUS: mech('ANONYMOUS'), EXTERNAL: mech('EXTERNAL') };
}

export class AmqpServerConnection implements AmqpLink {
  readonly connection: Connection;
  private readonly guard = new AmqpFrameGuard();
  private readonly socket: RheaSocket;
  private sasl?: { mechanism: string; hostname?: string };
  private closing?: string;
  private violation = false;
  private done = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly ctx: SessionContext,
    private readonly stream: Duplex,
    readonly protocol: AmqpProtocol,
    private readonly behaviour: AmqpBehaviour,
  ) {
    this.socket = new RheaSocket(stream);
    const container = rhea.create_container({ id: `hubtls-${ctx.endpoint.name}` });
    container.sasl_server_mechanisms = mechanisms((mechanism, hostname) => (this.sasl = { mechanism, hostname }));
    container.on('error', (e: Error) => this.contain('container error', e));
    this.connection = container.create_connection({
      max_frame_size: AMQP_MAX_FRAME_SIZE,
      idle_time_out: IDLE_TIMEOUT_MS,
      sender_options: { autosettle: true },
      receiver_options: { autoaccept: false, credit_window: 100 },
    } as never);
  }

  /** Starts reading: bytes pass the guard before rhea sees them. */
  start(): void {
    this.wire();
    (this.connection as unknown as { accept(s: unknown): void }).accept(this.socket);
    this.stream.on('data', (chunk: Buffer) => this.feed(chunk));
    // The peer ended its side: AMQP cannot go on over a half-closed stream, so the hub ends its own.
    this.stream.on('end', () => (this.socket.emit('end'), this.socket.finish()));
    this.stream.on('error', () => {}); // the driver reports TLS errors; 'close' follows
    this.stream.once('close', () => this.finish(this.closing ?? 'connection closed by the peer'));
    this.arm(OPEN_TIMEOUT_MS, () => this.fail(this.timeoutError(), true));
  }

  event(fields: SessionFields): void {
    publishSession(this.ctx, this.protocol, fields);
  }

  fail(error: AmqpError, violation = false): void {
    if (this.closing) return;
    this.closing = `${error.condition}: ${error.description}`;
    this.violation = violation;
    if (this.guard.current !== 'amqp') return this.socket.finish();
    this.socket.holdEnd = true;
    try {
      if (!this.connection.is_open()) this.connection.open();
      this.connection.close(error);
    } catch {
      // rhea refused (its state is broken): the stream ends without a close frame
    }
    // rhea writes the close on the next tick: end after it (the peer's close is not awaited); a stream
    // that does not finish is destroyed after the grace.
    setImmediate(() => this.socket.finish());
    this.arm(CLOSE_GRACE_MS, () => this.stream.destroy());
  }

  private feed(chunk: Buffer): void {
    if (this.closing) return;
    const step = this.guard.check(chunk);
    this.socket.deliver(step.end === chunk.length ? chunk : chunk.subarray(0, step.end));
    if (step.problem && !this.closing) this.badInput(step.problem);
  }

  private badInput(p: FrameProblem): void {
    this.event({
      action: 'protocol-error',
      ok: false,
      reason: p.description,
      detail: { condition: p.condition, layer: p.layer },
    });
    if (p.layer === 'none' && this.stream.writable) this.stream.write(AMQP_HEADER); // the header this hub speaks
    this.fail({ condition: p.condition, description: p.description }, true);
  }

  private wire(): void {
    const c = this.connection;
    c.on('connection_open', (e: EventContext) => this.guarded('open', () => this.opened(e)));
    c.on('connection_close', () => this.guarded('close', () => this.peerClosed()));
    c.on('connection_error', () => {});
    c.on('protocol_error', (e: Error) => this.rheaError(e));
    c.on('error', (e: Error) => this.rheaError(e));
    c.on('disconnected', () => {});
    c.on('session_error', () => {});
    for (const name of ['sender_error', 'receiver_error'] as const) c.on(name, () => {});
    const events = new Set<RheaEvent>([...EXTRA_EVENTS, ...(Object.keys(this.behaviour.on) as RheaEvent[])]);
    for (const name of events) c.on(name, (e: EventContext) => this.guarded(name, () => this.behaviour.on[name]?.(e)));
  }

  private opened(e: EventContext): void {
    clearTimeout(this.timer);
    const open = e.connection.remote?.open as { container_id?: string; hostname?: string } | undefined;
    const refusal = this.behaviour.opened?.(e);
    this.event({
      action: 'open',
      ok: !refusal,
      reason: refusal
        ? `AMQP open refused: ${refusal.condition}: ${refusal.description}`
        : `AMQP connection opened by container ${open?.container_id ?? '?'}`,
      detail: {
        containerId: open?.container_id,
        hostname: open?.hostname,
        sasl: this.sasl?.mechanism ?? 'none',
        ...(this.sasl?.hostname ? { saslHostname: this.sasl.hostname } : {}),
      },
    });
    if (refusal) this.fail(refusal);
  }

  private peerClosed(): void {
    const err = this.connection.error as { condition?: string; description?: string } | undefined;
    this.closing ??= err?.condition
      ? `peer closed with ${err.condition}: ${err.description ?? ''}`
      : 'peer closed the AMQP connection';
  }

  /** rhea threw while decoding or dispatching a frame (it ends its socket right after this). */
  private rheaError(e: Error): void {
    if (this.closing) return;
    const condition = e.name === 'ProtocolError' ? 'amqp:connection:framing-error' : 'amqp:decode-error';
    const description = `malformed AMQP from the peer: ${e.message}`;
    this.event({ action: 'protocol-error', ok: false, reason: description, detail: { condition } });
    this.fail({ condition, description }, true);
  }

  /** Runs a handler; a throw closes this connection with amqp:internal-error and is reported. */
  private guarded(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.contain(what, e);
    }
  }

  private contain(what: string, e: unknown): void {
    const description = `internal error handling ${what}: ${(e as Error)?.message ?? String(e)}`;
    this.event({
      action: 'protocol-error',
      ok: false,
      reason: description,
      detail: { condition: 'amqp:internal-error' },
    });
    this.fail({ condition: 'amqp:internal-error', description });
  }

  private timeoutError(): AmqpError {
    return {
      condition: 'amqp:connection:forced',
      description: `no AMQP open within ${OPEN_TIMEOUT_MS / 1000} s of the TLS handshake`,
    };
  }

  private arm(ms: number, fn: () => void): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(fn, ms);
    this.timer.unref();
  }

  private finish(reason: string): void {
    if (this.done) return;
    this.done = true;
    clearTimeout(this.timer);
    this.socket.emit('end'); // rhea clears its heartbeat timers
    this.guarded('close', () => this.behaviour.closed?.(reason, this.violation));
    const deviceId = this.behaviour.deviceId?.();
    this.event({
      action: 'disconnect',
      ok: !this.violation,
      ...(deviceId ? { deviceId } : {}),
      reason: `AMQP connection${deviceId ? ` of ${deviceId}` : ''} closed: ${reason}`,
    });
  }
}

/** The one way in: an AMQP server connection on `stream`, read from now on. */
export function serveAmqpConnection(
  ctx: SessionContext,
  stream: Duplex,
  protocol: AmqpProtocol,
  behaviour: (link: AmqpLink) => AmqpBehaviour,
): AmqpLink {
  let b: AmqpBehaviour = { on: {} };
  const conn = new AmqpServerConnection(ctx, stream, protocol, {
    opened: (e) => b.opened?.(e),
    get on() {
      return b.on;
    },
    closed: (r, v) => b.closed?.(r, v),
    deviceId: () => b.deviceId?.(),
  });
  b = behaviour(conn);
  conn.start();
  return conn;
}
