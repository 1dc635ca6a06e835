import { once } from 'node:events';
import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** An overloaded gateway: the answer comes, but late. */
export const delayServerHello = defineFault({
  name: 'delay-server-hello',
  summary: 'wait before answering the ClientHello',
  params: Type.Object(
    { ms: Type.Integer({ minimum: 1, description: 'delay in milliseconds' }) },
    { additionalProperties: false },
  ),
  example: { ms: 5000 },
  explain: (p) =>
    `the ServerHello arrives ${p.ms} ms after the ClientHello (hubtls's own handshake timeout is paused meanwhile); a device with a shorter handshake timeout gives up`,
  create: (p, ctx) => ({
    async hello() {
      ctx.act(`delayed the ServerHello by ${p.ms} ms`);
      ctx.suspendTimeout();
      let timer: NodeJS.Timeout | undefined;
      const closed = once(ctx.socket, 'close').then(() => true);
      const waited = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), p.ms)));
      const gone = await Promise.race([closed, waited]);
      clearTimeout(timer);
      ctx.resumeTimeout();
      return gone ? { ended: 'the client left during the delay' } : undefined;
    },
  }),
});
