/**
 * The admin plane as a fastify plugin: /healthz is open, everything else needs the bearer token.
 * Errors use one shape: { error: { code: 'HUBTLS_…', message } }.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { Runtime } from '../scenario/runtime.js';
import { tokenMatches } from './token.js';

export interface AdminOptions {
  runtime: Runtime;
  token: string;
}

function stateOf(runtime: Runtime) {
  return {
    scenario: runtime.scenario.name,
    clock: { now: runtime.clock.now().toISOString(), simulated: runtime.clock.simulated },
    endpoints: runtime.endpoints().map((ep) => {
      const m = runtime.materialOf(ep.name);
      return {
        name: ep.name,
        kind: ep.kind,
        hostnames: ep.hostnames,
        profile: runtime.profileOf(ep).id,
        clientCert: ep.clientCert,
        after: ep.after,
        chains: Object.fromEntries(Object.entries(m).map(([t, c]) => [t, { id: c!.chainId, root: c!.rootName, leafSha256: c!.leafSha256 }])),
      };
    }),
  };
}

export const adminPlugin: FastifyPluginAsync<AdminOptions> = async (app: FastifyInstance, opts) => {
  app.get('/healthz', async () => ({ ok: true }));
  app.register(async (secured) => {
    secured.addHook('onRequest', async (req, reply) => {
      if (!tokenMatches(req.headers.authorization, opts.token)) {
        await reply.code(401).send({ error: { code: 'HUBTLS_ADMIN_UNAUTHORIZED', message: 'missing or wrong bearer token (printed at start, or set HUBTLS_ADMIN_TOKEN)' } });
      }
    });
    secured.get('/state', async () => stateOf(opts.runtime));
  });
};
