/**
 * Timeline control: what a scenario step can do, on demand. Each action answers with a message and
 * the state after it; the runtime also publishes a notice event (SSE, log).
 */
import type { Static } from '@sinclair/typebox';
import { getProfile } from '../../profiles/registry.js';
import { ApiError } from '../errors.js';
import { needChain, needEndpoint, type AdminContext, type RouteModule } from '../context.js';
import { ActionResult, ChainBody, ClockBody, DropBody, MigrateBody, Ok, ProfileBody } from '../schemas.js';

type Result = Static<typeof ActionResult>;
const schema = (summary: string, body: object) => ({ summary, tags: ['timeline'], body, response: Ok(ActionResult) });

/** Root migration: every (or the named) endpoint serves `chain` from now on; open connections are dropped. */
async function migrate(ctx: AdminContext, b: Static<typeof MigrateBody>): Promise<Result> {
  const chain = needChain(b.chain);
  const rt = ctx.runtime;
  const names =
    b.endpoints?.map((n) => needEndpoint(rt, n)) ??
    rt.endpoints
      .list()
      .filter((ep) => chain.keyType === 'rsa' || rt.endpoints.profileOf(ep).definition.certKeyTypes.includes('ec'))
      .map((ep) => ep.name);
  await Promise.all(names.map((n) => rt.endpoints.setChain(n, { catalog: chain.id }, chain.keyType)));
  const dropped = b.drop === false ? undefined : names.reduce((n, name) => n + rt.connections.drop(name), 0);
  return {
    message: `${names.join(', ')} now serve${names.length === 1 ? 's' : ''} ${chain.id} (root ${chain.rootId})`,
    ...(dropped === undefined ? {} : { dropped }),
    state: ctx.state(),
  };
}

async function chain(ctx: AdminContext, b: Static<typeof ChainBody>): Promise<Result> {
  const name = needEndpoint(ctx.runtime, b.endpoint);
  if ((b.chain === undefined) === (b.rotate === undefined))
    throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', 'give exactly one of "chain" (switch) or "rotate": "leaf"');
  if (b.rotate) {
    await ctx.runtime.endpoints.rotateLeaf(name);
    return {
      message: `${name} leaf rotated to generation ${ctx.runtime.endpoints.get(name).generation}`,
      state: ctx.state(),
    };
  }
  const def = needChain(b.chain!);
  await ctx.runtime.endpoints.setChain(name, { catalog: def.id }, def.keyType);
  return { message: `${name} now serves ${def.keyType.toUpperCase()} chain ${def.id}`, state: ctx.state() };
}

async function clock(ctx: AdminContext, b: Static<typeof ClockBody>): Promise<Result> {
  if ((b.to === undefined) === (b.advanceSeconds === undefined))
    throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', 'give exactly one of "to" (ISO date-time) or "advanceSeconds"');
  const to = b.to ? new Date(b.to) : new Date(ctx.runtime.clock.now().getTime() + b.advanceSeconds! * 1000);
  if (Number.isNaN(to.getTime())) throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', `"${b.to}" is not a date-time`);
  await ctx.runtime.setClock(to);
  return { message: `scenario clock set to ${to.toISOString()}`, state: ctx.state() };
}

function profile(ctx: AdminContext, b: Static<typeof ProfileBody>): Result {
  const name = needEndpoint(ctx.runtime, b.endpoint);
  getProfile(b.profile);
  ctx.runtime.endpoints.setProfile(name, b.profile, b.minTlsVersion);
  return {
    message: `${name} now runs profile ${ctx.runtime.endpoints.profileOf(ctx.runtime.endpoints.get(name)).id}`,
    state: ctx.state(),
  };
}

function drop(ctx: AdminContext, b: Static<typeof DropBody>): Result {
  const name = b.endpoint === undefined ? undefined : needEndpoint(ctx.runtime, b.endpoint);
  const dropped = ctx.runtime.connections.drop(name);
  return { message: `dropped ${dropped} connection(s)${name ? ` of ${name}` : ''}`, dropped, state: ctx.state() };
}

export const timelineRoutes: RouteModule = (app, ctx) => {
  app.post<{ Body: Static<typeof MigrateBody> }>(
    '/timeline/migrate',
    { schema: schema('root migration: switch endpoints to another chain and drop their connections', MigrateBody) },
    (req) => migrate(ctx, req.body),
  );
  app.post<{ Body: Static<typeof ChainBody> }>(
    '/timeline/chain',
    { schema: schema("switch one endpoint's chain, or rotate its leaf", ChainBody) },
    (req) => chain(ctx, req.body),
  );
  app.post<{ Body: Static<typeof ClockBody> }>(
    '/timeline/clock',
    { schema: schema('move the scenario clock (chains are re-issued where needed)', ClockBody) },
    (req) => clock(ctx, req.body),
  );
  app.post<{ Body: Static<typeof ProfileBody> }>(
    '/timeline/profile',
    { schema: schema("switch an endpoint's profile", ProfileBody) },
    async (req) => profile(ctx, req.body),
  );
  app.post<{ Body: Static<typeof DropBody> }>(
    '/timeline/drop',
    { schema: schema('drop open connections (all, or of one endpoint)', DropBody) },
    async (req) => drop(ctx, req.body ?? {}),
  );
};
