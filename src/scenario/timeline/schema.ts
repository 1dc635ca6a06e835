/**
 * A timeline step in the scenario file: one trigger (at | after | delay | on) and one or more
 * actions, run in the order they are written. Exactly-one-trigger and the references (endpoints,
 * fault ids, chains) are checked by check.ts beside this file, where the messages can name what exists.
 */
import { Type, type TSchema } from '@sinclair/typebox';

export const DURATION_PATTERN = '^\\d+(\\.\\d+)?(ms|s|m|h|d)$';
export const RELATIVE_PATTERN = '^[+-]\\d+(\\.\\d+)?(ms|s|m|h|d)$';

export const TRIGGER_KEYS = ['at', 'after', 'delay', 'on'] as const;
export const ACTION_KEYS = [
  'chain',
  'eccChain',
  'rotateLeaf',
  'rotateIntermediate',
  'profile',
  'clock',
  'fault',
  'drop',
] as const;

const IdList = Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })]);

export function timelineStep<C extends TSchema>(chainRef: C) {
  return Type.Object(
    {
      id: Type.Optional(
        Type.String({
          pattern: '^[A-Za-z0-9][A-Za-z0-9._-]*$',
          description: 'step name (for `on: admin` steps, the admin API and notices); default step-<n>',
        }),
      ),
      description: Type.Optional(Type.String({ description: 'what a device sees from this step on' })),
      at: Type.Optional(
        Type.String({ format: 'date-time', description: 'trigger: when the scenario clock reaches this instant' }),
      ),
      after: Type.Optional(
        Type.Object(
          {
            connections: Type.Integer({ minimum: 1, description: 'handshakes (any outcome) since the previous step' }),
            endpoint: Type.Optional(Type.String({ description: "count only this endpoint's connections" })),
          },
          { additionalProperties: false, description: 'trigger: after N connections' },
        ),
      ),
      delay: Type.Optional(
        Type.String({
          pattern: DURATION_PATTERN,
          description: 'trigger: real time after the previous step (or the start), e.g. 500ms, 30s, 5m',
        }),
      ),
      on: Type.Optional(Type.Literal('admin', { description: 'trigger: runtime.trigger(id) / the admin API' })),
      endpoint: Type.Optional(IdList),
      chain: Type.Optional(chainRef),
      eccChain: Type.Optional(chainRef),
      rotateLeaf: Type.Optional(
        Type.Literal(true, { description: 'new leaf key and serial, same names and CA (breaks leaf pinning)' }),
      ),
      rotateIntermediate: Type.Optional(
        Type.Union([Type.Literal(true), Type.String({ minLength: 1 })], {
          description: 'true: the next issuing CA under the same root (g2 → g2-ca04); or a chain id',
        }),
      ),
      profile: Type.Optional(Type.String({ minLength: 1, description: 'profile id, see `hubtls profiles`' })),
      clock: Type.Optional(
        Type.Union([Type.String({ format: 'date-time' }), Type.String({ pattern: RELATIVE_PATTERN })], {
          description: 'set the scenario clock: an instant, or +30d / -1h from now',
        }),
      ),
      fault: Type.Optional(
        Type.Object(
          { start: Type.Optional(IdList), stop: Type.Optional(IdList) },
          { additionalProperties: false, description: 'start or stop faults by id' },
        ),
      ),
      drop: Type.Optional(
        Type.Literal(true, {
          description: 'drop open connections (as a gateway restart does); devices meet the new state on reconnect',
        }),
      ),
    },
    { additionalProperties: false },
  );
}
