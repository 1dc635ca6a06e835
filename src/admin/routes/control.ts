/**
 * Controls of the timeline/fault layer: trigger an `on: admin` step, start or stop a fault, reload
 * the scenario file. Each answers with a message and the state after it; the layer's own errors
 * (HUBTLS_UNKNOWN_STEP, HUBTLS_STEP_NOT_NEXT, HUBTLS_UNKNOWN_FAULT, …) come back as 400s.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ApiError } from '../errors.js';
import { needEndpoint, notAvailable, type AdminContext, type RouteModule } from '../context.js';
import { ActionResult, Ok } from '../schemas.js';

export const TriggerBody = Type.Object(
  {
    step: Type.String({ minLength: 1, description: 'id of the timeline step to run now (it must be the waiting one)' }),
  },
  { additionalProperties: false },
);

export const FaultBody = Type.Object(
  {
    id: Type.Optional(
      Type.String({ minLength: 1, description: 'a declared fault to start (or stop), or the id for a new one' }),
    ),
    fault: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'fault kind for a new fault (stall, reset-after-hello, truncate-chain, …)',
      }),
    ),
    endpoint: Type.Optional(Type.String({ minLength: 1 })),
    params: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    probability: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
    everyNth: Type.Optional(Type.Integer({ minimum: 1 })),
    stop: Type.Optional(Type.Boolean({ description: 'stop the fault with this id instead of starting it' })),
  },
  { additionalProperties: false },
);

export const ReloadBody = Type.Object(
  {
    file: Type.Optional(Type.String({ minLength: 1, description: 'another scenario file (default: the running one)' })),
  },
  { additionalProperties: false },
);

type Result = Static<typeof ActionResult>;
const schema = (summary: string, body: object, tags = ['timeline']) => ({
  summary,
  tags,
  body,
  response: Ok(ActionResult),
});

async function trigger(ctx: AdminContext, b: Static<typeof TriggerBody>): Promise<Result> {
  await ctx.runtime.timeline.trigger(b.step);
  return { message: `timeline step ${b.step} ran`, state: ctx.state() };
}

async function fault(ctx: AdminContext, b: Static<typeof FaultBody>): Promise<Result> {
  if (b.stop) {
    if (!b.id) throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', 'stopping a fault needs its "id"');
    ctx.runtime.faults.stop(b.id);
    return { message: `fault ${b.id} stopped`, state: ctx.state() };
  }
  if (b.fault === undefined) {
    if (!b.id)
      throw new ApiError(
        400,
        'HUBTLS_ADMIN_BAD_REQUEST',
        'give the "id" of a declared fault, or "fault" and "endpoint" for a new one',
      );
    await ctx.runtime.faults.start(b.id);
    return { message: `fault ${b.id} started`, state: ctx.state() };
  }
  if (!b.endpoint) throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', 'a new fault needs the "endpoint" it acts on');
  const { stop: _stop, ...spec } = b;
  await ctx.runtime.faults.start({ ...spec, fault: b.fault, endpoint: needEndpoint(ctx.runtime, b.endpoint) });
  return { message: `fault ${b.fault} started on ${b.endpoint}`, state: ctx.state() };
}

async function reload(ctx: AdminContext, b: Static<typeof ReloadBody>): Promise<Result> {
  if (!ctx.hooks.reload)
    throw notAvailable('scenario reload', "the admin plugin was started without the hub's reload (startHub wires it)");
  const r = await ctx.hooks.reload(b.file);
  if (!r.ok)
    throw new ApiError(
      400,
      'HUBTLS_RELOAD_REFUSED',
      r.error ?? 'the scenario was not reloaded',
      'the running scenario is unchanged; `hubtls check FILE` lists every problem',
    );
  return { message: `scenario reloaded from ${b.file ?? ctx.runtime.scenario.current.file}`, state: ctx.state() };
}

export const controlRoutes: RouteModule = (app, ctx) => {
  app.post<{ Body: Static<typeof TriggerBody> }>(
    '/timeline/trigger',
    { schema: schema('run the waiting `on: admin` timeline step now', TriggerBody) },
    (req) => trigger(ctx, req.body),
  );
  app.post<{ Body: Static<typeof FaultBody> }>(
    '/timeline/fault',
    { schema: schema('start a declared or new fault, or stop one', FaultBody) },
    (req) => fault(ctx, req.body),
  );
  app.post<{ Body: Static<typeof ReloadBody> }>(
    '/scenario/reload',
    { schema: schema('reload the scenario file; open connections are kept', ReloadBody, ['scenario']) },
    (req) => reload(ctx, req.body ?? {}),
  );
};
