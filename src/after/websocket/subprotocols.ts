/**
 * What runs inside a WebSocket on the HTTPS port, by the subprotocol the client asked for
 * (`Sec-WebSocket-Protocol`). Adding a protocol is one line here; an upgrade that offers none of
 * these is refused (400). IoT Hub and DPS both use `mqtt` (MQTT 3.1.1) and `AMQPWSB10` (AMQP 1.0).
 */
import type { Duplex } from 'node:stream';
import type { SessionContext } from '../types.js';
import type { DpsSettings } from '../dps-options.js';
import { serveMqtt } from '../mqtt/serve.js';
import { serveAmqp } from '../amqp/serve.js';

/** The `protocol` of session events and device links for sessions inside a WebSocket. */
export type WsProtocol = 'mqtt-ws' | 'amqp-ws';

/** A responder over a byte stream; `protocol` is the name its events and links carry. */
export type WsServe<P extends WsProtocol> = (
  ctx: SessionContext,
  stream: Duplex,
  protocol: P,
  dps: DpsSettings,
) => void;

export interface WsSubprotocol {
  protocol: WsProtocol;
  serve(ctx: SessionContext, stream: Duplex, dps: DpsSettings): void;
}

/** A registry line: the protocol name and the responder that runs with it. */
export function speaks<P extends WsProtocol>(protocol: P, serve: WsServe<P>): WsSubprotocol {
  return { protocol, serve: (ctx, stream, dps) => serve(ctx, stream, protocol, dps) };
}

export const WS_SUBPROTOCOLS: Readonly<Record<string, WsSubprotocol>> = {
  mqtt: speaks('mqtt-ws', serveMqtt),
  AMQPWSB10: speaks('amqp-ws', serveAmqp),
};

/** The first subprotocol the client offers that is served here (the client lists its preference first). */
export function pickSubprotocol(offered: Iterable<string>): string | undefined {
  for (const p of offered) if (Object.hasOwn(WS_SUBPROTOCOLS, p)) return p;
  return undefined;
}

/** `Sec-WebSocket-Protocol: a, b` as the list it names (absent: none). */
export function offeredSubprotocols(header: string | undefined): string[] {
  return (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}
