/** Read-only views: the running state, recent handshakes, and the catalog the controls choose from. */
import { Type } from '@sinclair/typebox';
import { chainInfos } from '../../pki/chains.js';
import { rootInfos } from '../../pki/catalog.js';
import { PROFILES } from '../../profiles/registry.js';
import { OUTCOMES } from '../../events/outcomes.js';
import type { RouteModule } from '../context.js';
import { Handshake, HandshakesQuery, Ok, State } from '../schemas.js';
import type { Static } from '@sinclair/typebox';

const Catalog = Type.Object({
  chains: Type.Array(
    Type.Object({
      id: Type.String(),
      keyType: Type.String(),
      rootId: Type.String(),
      description: Type.String(),
      defect: Type.Optional(Type.String()),
    }),
  ),
  roots: Type.Array(
    Type.Object({ id: Type.String(), subject: Type.String(), keyType: Type.String(), testOnly: Type.Boolean() }),
  ),
  profiles: Type.Array(Type.Object({ id: Type.String(), title: Type.String() })),
  outcomes: Type.Array(Type.Object({ code: Type.String(), meaning: Type.String() })),
});

function catalog(): Static<typeof Catalog> {
  return {
    chains: chainInfos().map(({ id, keyType, rootId, description, defect }) => ({
      id,
      keyType,
      rootId,
      description,
      ...(defect ? { defect } : {}),
    })),
    roots: rootInfos().map(({ id, subject, keyType, testOnly }) => ({ id, subject, keyType, testOnly })),
    profiles: PROFILES.map(({ id, title }) => ({ id, title })),
    outcomes: Object.entries(OUTCOMES).map(([code, o]) => ({ code, meaning: o.meaning })),
  };
}

export const stateRoutes: RouteModule = (app, ctx) => {
  app.get(
    '/state',
    {
      schema: {
        summary: 'endpoints, profiles and chains in force, clock, devices',
        tags: ['state'],
        response: Ok(State),
      },
    },
    async () => ctx.state(),
  );
  app.get<{ Querystring: Static<typeof HandshakesQuery> }>(
    '/handshakes',
    {
      schema: {
        summary:
          'recent handshakes with their final outcomes (a later verdict replaces the handshake outcome, kept as ' +
          'handshakeOutcome), newest first',
        tags: ['state'],
        querystring: HandshakesQuery,
        response: Ok(Type.Object({ total: Type.Integer(), handshakes: Type.Array(Handshake) })),
      },
    },
    async (req) => ({ total: ctx.ring.total, handshakes: ctx.ring.list(req.query) }),
  );
  app.get(
    '/catalog',
    {
      schema: {
        summary: 'chains, roots, profiles and outcome codes to choose from',
        tags: ['state'],
        response: Ok(Catalog),
      },
    },
    async () => catalog(),
  );
};
