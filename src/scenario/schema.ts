/**
 * The scenario file's JSON Schema (TypeBox: one definition gives the schema `hubtls schema`
 * prints and the TypeScript type the loader returns).
 */
import { Type, type Static } from '@sinclair/typebox';
import { outcomeSchema } from '../events/outcomes.js';
import { FaultUse } from '../faults/schema.js';
import { timelineStep } from './timeline/schema.js';
import { AfterRef } from '../after/schema.js';
import { DEVICE_FIELDS } from '../core/schema.js';

const Port = Type.Integer({ minimum: 0, maximum: 65535, description: '0 picks a free port' });
const Host = Type.String({ minLength: 1, description: 'address to bind, e.g. 127.0.0.1' });

export const UserChain = Type.Object(
  {
    cert: Type.String({ description: 'PEM file: leaf first, then intermediates, in served order' }),
    key: Type.String({ description: 'PEM file with the leaf private key' }),
    ca: Type.Optional(Type.String({ description: 'PEM file with the root devices should trust (for export)' })),
  },
  { additionalProperties: false },
);

/** One chain: a catalog id or PEM files. */
export const SingleChainRef = Type.Union([
  Type.String({ description: 'catalog chain id, see `hubtls certs list`' }),
  UserChain,
]);

export const WeightedChain = Type.Object(
  {
    weighted: Type.Array(
      Type.Object(
        {
          chain: SingleChainRef,
          weight: Type.Number({ exclusiveMinimum: 0, description: 'relative weight, any positive number (e.g. 50)' }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, description: 'the chains served side by side; each connection draws one by weight' },
    ),
    seed: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 4294967295,
        description: 'PRNG seed: the same seed gives the same sequence of chains; omitted: random',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'a mixed rollout: old and new chains served side by side, chosen per connection by weight',
  },
);

/** What an endpoint or a timeline step serves: one chain, or a weighted mix (mixed rollout). */
export const ChainRef = Type.Union([SingleChainRef, WeightedChain]);

const TimelineStep = timelineStep(ChainRef);

export const ClientCertMode = Type.Union([Type.Literal('none'), Type.Literal('request'), Type.Literal('require')], {
  description:
    'request (Azure on MQTT/AMQP): ask for a device certificate, judge it after TLS; require: refuse without one',
});

export const Endpoint = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9-]*$', description: 'short id used in logs and the admin API' }),
    kind: Type.Union([Type.Literal('iothub'), Type.Literal('dps')]),
    hostnames: Type.Array(Type.String({ minLength: 1 }), {
      minItems: 1,
      description: 'SNI names routed here; "*." matches one label',
    }),
    host: Type.Optional(Host),
    port: Type.Optional(Port),
    default: Type.Optional(
      Type.Boolean({ description: 'receives connections without SNI or with an unknown SNI on its port' }),
    ),
    profile: Type.String({ description: 'profile id, see `hubtls profiles`' }),
    minTlsVersion: Type.Optional(Type.Literal('1.2', { description: "Azure's minTlsVersion property" })),
    chain: ChainRef,
    eccChain: Type.Optional(ChainRef),
    clientCert: Type.Optional(ClientCertMode),
    after: Type.Optional(AfterRef),
    faults: Type.Optional(
      Type.Array(FaultUse, { description: "faults acting on this endpoint's connections (see `hubtls faults`)" }),
    ),
    maxConnections: Type.Optional(
      Type.Integer({
        minimum: 0,
        description:
          'open connections routed to this endpoint at most; more are closed with HUBTLS_CONN_LIMIT (0 = no limit)',
      }),
    ),
  },
  { additionalProperties: false },
);

const outcomeCode = (description = 'an outcome code (README: Outcome codes)') => outcomeSchema(description);

/** What `hubtls test --client CMD` checks after running the device command against this scenario. */
export const Expect = Type.Object(
  {
    exitCode: Type.Optional(
      Type.Union([Type.Integer({ minimum: 0, maximum: 255 }), Type.Literal('nonzero')], {
        description: 'the device command\'s exit code (0, 1, … or "nonzero")',
      }),
    ),
    outcome: Type.Optional(outcomeCode('every handshake had this outcome, and there was at least one')),
    outcomes: Type.Optional(
      Type.Array(outcomeCode(), { minItems: 1, description: 'the handshakes, in order, had exactly these outcomes' }),
    ),
    includes: Type.Optional(
      Type.Array(outcomeCode(), {
        minItems: 1,
        description: 'each of these outcomes occurred at least once (retries allowed)',
      }),
    ),
    timeoutSeconds: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 3600,
        description: 'time limit for the device command (default: --timeout)',
      }),
    ),
  },
  {
    additionalProperties: false,
    description: 'expectations for `hubtls test`; a scenario without them is skipped there',
  },
);

export const Scenario = Type.Object(
  {
    name: Type.String({ minLength: 1 }),
    description: Type.Optional(Type.String()),
    listen: Type.Optional(
      Type.Object({ host: Type.Optional(Host), port: Type.Optional(Port) }, { additionalProperties: false }),
    ),
    admin: Type.Optional(
      Type.Object(
        { host: Type.Optional(Host), port: Type.Optional(Port), enabled: Type.Optional(Type.Boolean()) },
        { additionalProperties: false },
      ),
    ),
    clock: Type.Optional(
      Type.Object(
        {
          start: Type.Optional(
            Type.String({ format: 'date-time', description: 'simulated time at start; omitted = real time' }),
          ),
          rate: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'simulated seconds per real second' })),
        },
        { additionalProperties: false },
      ),
    ),
    handshakeTimeoutMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 600000 })),
    limits: Type.Optional(
      Type.Object(
        {
          maxConnections: Type.Optional(
            Type.Integer({
              minimum: 0,
              description:
                'open connections over all listeners at most; more are closed at accept with HUBTLS_CONN_LIMIT (0 = no limit)',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    endpoints: Type.Array(Endpoint, { minItems: 1 }),
    expect: Type.Optional(Expect),
    timeline: Type.Optional(
      Type.Array(TimelineStep, { description: 'steps run one after the other, each when its trigger fires' }),
    ),
    ...DEVICE_FIELDS,
  },
  { additionalProperties: false, $id: 'https://hubtls.dev/schema/scenario.json' },
);

export type ScenarioFile = Static<typeof Scenario>;
export type EndpointFile = Static<typeof Endpoint>;
export type ChainRefFile = Static<typeof ChainRef>;
export type SingleChainRefFile = Static<typeof SingleChainRef>;
export type ExpectFile = Static<typeof Expect>;
export type StepFile = Static<typeof TimelineStep>;
export type { FaultUseFile } from '../faults/schema.js';
