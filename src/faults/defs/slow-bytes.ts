import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A congested or throttled link (satellite, NB-IoT): every server byte arrives, slowly. */
export const slowBytes = defineFault({
  name: 'slow-bytes',
  summary: 'send server bytes in small pieces with a pause between them',
  params: Type.Object(
    {
      bytes: Type.Integer({ minimum: 1, maximum: 16384, default: 64, description: 'bytes per piece' }),
      intervalMs: Type.Integer({ minimum: 0, maximum: 60000, default: 100, description: 'pause after each piece' }),
    },
    { additionalProperties: false },
  ),
  explain: (p) =>
    `every byte from the server arrives in pieces of ${p.bytes} bytes, ${p.intervalMs} ms apart (about ${Math.round((p.bytes * 1000) / Math.max(p.intervalMs, 1))} bytes/s); hubtls's handshake timeout is paused, so the device's own timeout decides`,
  create: (p, ctx) => {
    let acted = false;
    return {
      hello: () => ctx.suspendTimeout(),
      async serverToClient(chunk, out) {
        if (!acted) ctx.act(`sent server bytes in ${p.bytes}-byte pieces, ${p.intervalMs} ms apart`);
        acted = true;
        for (let off = 0; off < chunk.length && !out.closed; off += p.bytes) {
          await out.push(chunk.subarray(off, off + p.bytes));
          await out.delay(p.intervalMs);
        }
      },
    };
  },
});
