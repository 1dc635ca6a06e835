/**
 * The entry every transport calls with a decrypted stream that carries AMQP 1.0: the TLS port
 * (`after: amqp`) and, later, a WebSocket with subprotocol AMQPWSB10. IoT Hub endpoints get IoT Hub
 * semantics; DPS endpoints are not served over AMQP by this build: their connection is closed with
 * amqp:not-implemented right after the peer's open.
 */
import type { Duplex } from 'node:stream';
import type { SessionContext } from '../types.js';
import { serveAmqpConnection, type AmqpBehaviour } from './connection.js';
import { IotHubAmqp } from './iothub.js';

const DPS_REFUSAL = {
  condition: 'amqp:not-implemented',
  description: 'DPS over AMQP is not served by this build of hubtls (DPS speaks MQTT and HTTPS here)',
};

const dpsBehaviour: AmqpBehaviour = { opened: () => DPS_REFUSAL, on: {} };

export function serveAmqp(ctx: SessionContext, stream: Duplex, protocol: 'amqp' | 'amqp-ws'): void {
  serveAmqpConnection(ctx, stream, protocol, (link) =>
    ctx.endpoint.kind === 'dps' ? dpsBehaviour : new IotHubAmqp(ctx, link).behaviour(),
  );
}
