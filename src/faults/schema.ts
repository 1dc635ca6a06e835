/**
 * How a fault is used in a scenario file. The params of each fault are checked against that
 * fault's own TypeBox schema (if fault is X then params follow X's schema), so the published JSON
 * Schema completes and checks params in editors too.
 */
import { Type, type Static, type TObject, type TSchema } from '@sinclair/typebox';
import { FAULTS, faultNames } from './registry.js';

/** A params schema where fields with a default may be left out (the defaults fill them in). */
function withOptionalDefaults(params: TObject): TObject {
  const required = (params.required ?? []).filter(
    (k) => (params.properties[k] as { default?: unknown }).default === undefined,
  );
  const { required: _all, ...rest } = params;
  return (required.length ? { ...rest, required } : rest) as TObject;
}

function paramsRule(f: (typeof FAULTS)[number]): Record<string, unknown> {
  const params = withOptionalDefaults(f.params);
  return {
    if: { properties: { fault: { const: f.name } }, required: ['fault'] },
    then: { properties: { params }, ...(params.required?.length ? { required: ['params'] } : {}) },
  };
}

const FaultName = Type.Unsafe<string>({
  type: 'string',
  enum: faultNames(),
  description: FAULTS.map((f) => `${f.name}: ${f.summary}`).join('; '),
});

export const FaultUse = Type.Object(
  {
    id: Type.Optional(
      Type.String({
        pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
        description: 'name for timeline steps and the admin API; default <endpoint>.<fault>',
      }),
    ),
    fault: FaultName,
    params: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: "the fault's settings (see `hubtls faults`)" }),
    ),
    probability: Type.Optional(
      Type.Number({ exclusiveMinimum: 0, maximum: 1, description: 'share of connections it acts on' }),
    ),
    everyNth: Type.Optional(Type.Integer({ minimum: 1, description: 'acts on every Nth connection to the endpoint' })),
    active: Type.Optional(
      Type.Boolean({
        description: 'false: declared now, started by a timeline step (fault: {start: id}) or the admin API',
      }),
    ),
  },
  { additionalProperties: false, allOf: FAULTS.map(paramsRule) as TSchema[] },
);

export type FaultUseFile = Static<typeof FaultUse>;
