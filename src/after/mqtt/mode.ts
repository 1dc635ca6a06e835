import type { AfterTlsMode } from '../types.js';
import { MqttSession } from './session.js';
import { IotHubMqtt } from './iothub.js';
import { DpsMqtt } from './dps.js';
import { watchSilentClose } from '../silent-close.js';

/** MQTT 3.1.1 with IoT Hub semantics on iothub endpoints and DPS semantics on dps endpoints. */
export const mqttMode: AfterTlsMode = {
  name: 'mqtt',
  description: 'MQTT 3.1.1 responder: IoT Hub semantics on iothub endpoints (CONNECT auth, telemetry, twin, methods, C2D), DPS semantics on dps endpoints',
  start(ctx) {
    const watch = watchSilentClose(ctx, 'mqtt');
    ctx.established.stream.once('data', () => watch.spoke());
    const session = new MqttSession(ctx.established.stream);
    session.start(ctx.endpoint.kind === 'dps' ? new DpsMqtt(ctx, session) : new IotHubMqtt(ctx, session));
  },
};
