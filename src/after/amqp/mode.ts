import { defineAfterMode } from '../types.js';
import { watchSilentClose } from '../silent-close.js';
import { compileDpsOptions, DPS_DEFAULTS, DpsOptions } from '../dps-options.js';
import { serveAmqp } from './serve.js';

/** AMQP 1.0 (rhea): IoT Hub semantics on iothub endpoints, DPS registration on dps endpoints. */
export const amqpMode = defineAfterMode({
  name: 'amqp',
  description:
    'AMQP 1.0 responder (rhea): IoT Hub semantics on iothub endpoints (CBS put-token or X.509, telemetry, C2D, ' +
    'twin, methods; the service C2D sender and feedback receiver), DPS registration on dps endpoints',
  options: DpsOptions,
  defaults: DPS_DEFAULTS,
  compile: compileDpsOptions,
  start(ctx) {
    const watch = watchSilentClose(ctx, 'amqp');
    ctx.established.stream.once('data', () => watch.spoke());
    serveAmqp(ctx, ctx.established.stream, 'amqp');
  },
});
