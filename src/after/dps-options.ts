/**
 * Options of the responders that speak DPS (mqtt and https on a dps endpoint). Both modes declare
 * this one schema, so `retryAfterSeconds` means the same whichever protocol the device uses.
 */
import { Type, type Static } from '@sinclair/typebox';

export const DpsOptions = Type.Object(
  {
    retryAfterSeconds: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 300,
        description: 'DPS: retry-after of the 202 answer to a registration (Azure sends 3)',
      }),
    ),
  },
  { additionalProperties: false },
);

/** As the DPS responders read them: defaults applied. */
export type DpsSettings = { readonly retryAfterSeconds: number };

export const DPS_DEFAULTS: DpsSettings = { retryAfterSeconds: 3 };

export function compileDpsOptions(o: Static<typeof DpsOptions>): DpsSettings {
  return { retryAfterSeconds: o.retryAfterSeconds ?? DPS_DEFAULTS.retryAfterSeconds };
}
