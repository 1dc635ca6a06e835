import { defineAfterMode } from '../types.js';
import { watchSilentClose } from '../silent-close.js';
import { compileDpsOptions, DPS_DEFAULTS, DpsOptions } from '../dps-options.js';
import { serveMqtt } from './serve.js';

/** MQTT 3.1.1 with IoT Hub semantics on iothub endpoints and DPS semantics on dps endpoints. */
export const mqttMode = defineAfterMode({
  name: 'mqtt',
  description:
    'MQTT 3.1.1 responder: IoT Hub semantics on iothub endpoints (CONNECT auth, telemetry, twin, methods, C2D), ' +
    'DPS semantics on dps endpoints',
  options: DpsOptions,
  defaults: DPS_DEFAULTS,
  compile: compileDpsOptions,
  start(ctx, dps) {
    const watch = watchSilentClose(ctx, 'mqtt');
    ctx.established.stream.once('data', () => watch.spoke());
    serveMqtt(ctx, ctx.established.stream, 'mqtt', dps);
  },
});
