import { defineAfterMode, NO_OPTIONS } from '../types.js';
import { watchSilentClose } from '../silent-close.js';
import { serveAmqp } from './serve.js';

/** AMQP 1.0 (rhea) with IoT Hub semantics on iothub endpoints: CBS, telemetry, C2D, twin, methods, the service's C2D and feedback. */
export const amqpMode = defineAfterMode({
  name: 'amqp',
  description:
    'AMQP 1.0 responder (rhea): IoT Hub semantics on iothub endpoints (CBS put-token or X.509, telemetry, C2D, ' +
    'twin, methods; the service C2D sender and feedback receiver); dps endpoints are closed with amqp:not-implemented',
  ...NO_OPTIONS,
  start(ctx) {
    const watch = watchSilentClose(ctx, 'amqp');
    ctx.established.stream.once('data', () => watch.spoke());
    serveAmqp(ctx, ctx.established.stream, 'amqp');
  },
});
