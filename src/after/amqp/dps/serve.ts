/**
 * DPS over AMQP 1.0 (what azure-iot-provisioning-device-amqp speaks), on rhea as the server: one
 * rhea container per connection, so the SASL PLAIN judgement knows whose connection it judges.
 * SASL PLAIN (symmetric key) or no SASL / ANONYMOUS (X.509 by the TLS client certificate); links
 * and requests in links.ts; bad input and dead streams in guard.ts. `protocol` is 'amqp' on 5671, 'amqp-ws' inside
 * a WebSocket on 443 (the stream is then the WebSocket's). Whatever the peer sends, only its own
 * connection ends.
 */
import type { Duplex } from 'node:stream';
import rhea, { type Connection, type ConnectionOptions, type EventContext } from 'rhea';
import { DPS_DEFAULTS, type DpsSettings } from '../../dps-options.js';
import { publishSession, type SessionFields } from '../../events.js';
import type { AfterOptions, SessionContext } from '../../types.js';
import { DpsAmqpAuth } from './auth.js';
import {
  acceptGuarded,
  AMQP_HEADER,
  closeNow,
  destroyUnlessClosed,
  disconnectOnClose,
  endSoon,
  FRAMING_ERROR,
  isHeaderError,
  MAX_FRAME_SIZE,
  oversizedFrame,
} from './guard.js';
import { DpsLinks } from './links.js';

/** rhea's Connection.accept (server side) is missing from its typings. */
interface Acceptable {
  accept(stream: Duplex): Connection;
}

/** The DPS options (retryAfterSeconds) of the endpoint's after-TLS mode, as mqtt and https read them. */
function dpsSettings(o: AfterOptions): DpsSettings {
  const v = o.retryAfterSeconds;
  return typeof v === 'number' ? { retryAfterSeconds: v } : DPS_DEFAULTS;
}

/** rhea reads link options (autoaccept, credit_window) from the connection's options too. */
const CONNECTION_OPTIONS: ConnectionOptions & { autoaccept: boolean; credit_window: number } = {
  container_id: 'hubtls-dps',
  max_frame_size: MAX_FRAME_SIZE,
  // Requests are settled by links.ts: accepted, or rejected with the reason.
  autoaccept: false,
  credit_window: 10,
};

export function serveDpsAmqp(ctx: SessionContext, stream: Duplex, protocol: 'amqp' | 'amqp-ws'): void {
  const event = (fields: SessionFields): void => publishSession(ctx, protocol, fields);
  const auth = new DpsAmqpAuth(ctx, event);
  const links = new DpsLinks(ctx, auth, dpsSettings(ctx.endpoint.afterOptions), event);
  const container = rhea.create_container({ id: `hubtls-dps-${ctx.conn}` });
  container.sasl_server_mechanisms.enable_plain((user: string, pass: string) => safe(() => auth.plain(user, pass)));
  container.sasl_server_mechanisms.enable_anonymous();
  const accept = () => (container.create_connection(CONNECTION_OPTIONS) as unknown as Acceptable).accept(stream);
  const checks = (c: Connection) => [() => oversizedFrame(c), () => links.oversizedMessage()];
  const connection = acceptGuarded(accept, stream, checks, (v) => fail(v.condition, v.reason, v.detail));
  function fail(condition: string, reason: string, detail: Record<string, unknown> = {}): void {
    event({
      action: 'disconnect',
      ok: false,
      reason: `${reason}: connection closed with ${condition}`,
      detail: { condition, ...detail },
    });
    closeNow(connection, condition, reason);
  }
  const guarded =
    (fn: (c: EventContext) => void) =>
    (c: EventContext): void => {
      try {
        fn(c);
      } catch (e) {
        fail('amqp:internal-error', `DPS could not handle the request: ${(e as Error).message}`);
        endSoon(stream);
      }
    };
  // A refused device hears it now: our open, then a close with the reason (as Azure's DPS does).
  container.on(
    'connection_open',
    guarded((c) => {
      const refusal = auth.opened();
      if (!refusal) return;
      c.connection.close(refusal);
      destroyUnlessClosed(stream);
    }),
  );
  container.on(
    'sender_open',
    guarded((c) => links.senderOpen(c.sender!)),
  );
  container.on(
    'receiver_open',
    guarded((c) => links.receiverOpen(c.receiver!)),
  );
  container.on(
    'message',
    guarded((c) => links.message(c)),
  );
  // rhea ends the socket itself after these two (a frame it could not read or decode).
  container.on('protocol_error', (e: Error) => {
    // A peer that is not speaking AMQP 1.0 gets the header we speak, then the end (spec 2.2).
    if (isHeaderError(e)) stream.write(AMQP_HEADER);
    fail(FRAMING_ERROR, `malformed AMQP input: ${e.message}`);
  });
  container.on('error', (e: Error) => fail('amqp:decode-error', `AMQP input rhea could not decode: ${e.message}`));
  // Handled so rhea neither raises them as container errors nor writes to the console.
  for (const name of ['sender_error', 'receiver_error', 'session_error', 'connection_error', 'disconnected'])
    container.on(name, () => {});
  disconnectOnClose(connection, stream);
}

/** A judgement that throws refuses (SASL outcome auth) instead of reaching rhea's read loop. */
function safe(judge: () => boolean): boolean {
  try {
    return judge();
  } catch {
    return false;
  }
}
