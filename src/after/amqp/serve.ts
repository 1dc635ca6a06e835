/**
 * The entry every transport calls with a decrypted stream that carries AMQP 1.0: the TLS port
 * (`after: amqp`) and a WebSocket with subprotocol AMQPWSB10 on the HTTPS port. IoT Hub endpoints
 * get IoT Hub semantics; DPS endpoints get DPS's registration links (dps/serve.ts).
 */
import type { Duplex } from 'node:stream';
import type { SessionContext } from '../types.js';
import { serveAmqpConnection } from './connection.js';
import { IotHubAmqp } from './iothub.js';
import { serveDpsAmqp } from './dps/serve.js';

export function serveAmqp(ctx: SessionContext, stream: Duplex, protocol: 'amqp' | 'amqp-ws'): void {
  if (ctx.endpoint.kind === 'dps') return serveDpsAmqp(ctx, stream, protocol);
  serveAmqpConnection(ctx, stream, protocol, (link) => new IotHubAmqp(ctx, link).behaviour());
}
