/**
 * The MQTT responder over any byte stream: the decrypted TLS stream (`after: mqtt`, protocol 'mqtt')
 * or a WebSocket on the HTTPS port (subprotocol `mqtt`, protocol 'mqtt-ws'). IoT Hub semantics on
 * iothub endpoints, DPS semantics on dps endpoints; `protocol` names the transport in session events
 * and device links.
 */
import type { Duplex } from 'node:stream';
import type { SessionContext } from '../types.js';
import type { DpsSettings } from '../dps-options.js';
import { MqttSession, type MqttTransport } from './session.js';
import { IotHubMqtt } from './iothub.js';
import { DpsMqtt } from './dps.js';

export function serveMqtt(ctx: SessionContext, stream: Duplex, protocol: MqttTransport, dps: DpsSettings): void {
  const session = new MqttSession(stream);
  session.start(
    ctx.endpoint.kind === 'dps' ? new DpsMqtt(ctx, session, dps, protocol) : new IotHubMqtt(ctx, session, protocol),
  );
}
