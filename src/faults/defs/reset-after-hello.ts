import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A load balancer or firewall that kills the connection as soon as it sees the ClientHello. */
export const resetAfterHello = defineFault({
  name: 'reset-after-hello',
  summary: 'read the ClientHello, then reset the TCP connection (RST)',
  params: Type.Object({}, { additionalProperties: false }),
  explain: () =>
    'the device sends its ClientHello and the TCP connection is reset (ECONNRESET) before any server byte arrives',
  create: (_p, ctx) => ({
    hello() {
      ctx.act('reset the TCP connection after the ClientHello');
      ctx.socket.resetAndDestroy();
      return { ended: 'connection reset by hubtls' };
    },
  }),
});
