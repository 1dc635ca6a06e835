import { once } from 'node:events';
import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A gateway that accepts TCP but whose TLS front end never answers (blackholed backend). */
export const stall = defineFault({
  name: 'stall',
  summary: 'accept the connection and say nothing until the client gives up (or forMs passes)',
  params: Type.Object(
    {
      forMs: Type.Optional(
        Type.Integer({ minimum: 1, description: 'close after this long; default: wait for the client' }),
      ),
    },
    { additionalProperties: false },
  ),
  explain: (p) =>
    `the TCP connection opens and the ClientHello is sent, but no server byte ever arrives${p.forMs ? `; hubtls closes after ${p.forMs} ms` : ''}: the device's handshake timeout decides what happens`,
  create: (p, ctx) => ({
    async hello() {
      ctx.act('said nothing after the ClientHello');
      ctx.suspendTimeout();
      const started = Date.now();
      // Who closed is what the timer did, not the clock: a timer can fire a millisecond before
      // Date.now() shows forMs passed.
      let ours = false;
      const timer = p.forMs ? setTimeout(() => ((ours = true), ctx.socket.destroy()), p.forMs) : undefined;
      ctx.socket.resume(); // read and drop whatever the client sends meanwhile
      if (!ctx.socket.destroyed) await once(ctx.socket, 'close');
      clearTimeout(timer);
      const waited = Date.now() - started;
      return {
        ended: ours
          ? `hubtls closed after ${waited} ms of silence`
          : `the client gave up after ${waited} ms of silence`,
      };
    },
  }),
});
