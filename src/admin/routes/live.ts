/**
 * Live feeds: the SSE event stream (every bus event: handshakes, verdicts that amend them, sessions,
 * notices) and Prometheus metrics.
 */
import type { FastifyReply } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { HubEvent } from '../../events/types.js';
import type { RouteModule } from '../context.js';
import { Ok } from '../schemas.js';

/** Comments keep proxies and idle timers from closing a quiet stream. */
const KEEPALIVE_MS = 15_000;

function toMessage(e: HubEvent, seq: number) {
  return { id: String(seq), event: e.type, data: JSON.stringify(e) };
}

export const liveRoutes: RouteModule = (app, ctx) => {
  const open = new Set<FastifyReply>();
  // Hijacked SSE replies would keep app.close() waiting for clients: end them first.
  app.addHook('preClose', async () => {
    for (const r of open) r.sseContext?.source.end();
  });

  app.get(
    '/events',
    {
      schema: {
        summary:
          'Server-Sent Events: handshake, verdict (a later final verdict on a connection), session, notice and ' +
          'ready events as they happen',
        tags: ['live'],
        produces: ['text/event-stream'],
        response: Ok(Type.String({ description: 'text/event-stream' })),
      },
    },
    (req, reply) => {
      let seq = 0;
      open.add(reply);
      reply.sse({
        event: 'hello',
        data: JSON.stringify({ scenario: ctx.runtime.scenario.current.name, handshakes: ctx.ring.total }),
      });
      const unsubscribe = ctx.runtime.bus.subscribe((e) => reply.sse(toMessage(e, ++seq)));
      const keepalive = setInterval(() => reply.raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      req.raw.on('close', () => {
        clearInterval(keepalive);
        unsubscribe();
        open.delete(reply);
        reply.sseContext?.source.end();
      });
    },
  );

  app.get(
    '/metrics',
    {
      schema: {
        summary:
          'Prometheus metrics: handshakes by outcome/profile/endpoint, later verdicts, active connections, ' +
          'handshake latency',
        tags: ['live'],
        produces: ['text/plain'],
        response: Ok(Type.String()),
      },
    },
    async (_req, reply) => reply.type(ctx.metrics.contentType).send(await ctx.metrics.text()),
  );
};
