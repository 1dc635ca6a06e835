/**
 * TypeBox schemas of the admin API: one definition gives request validation, response
 * serialisation, the OpenAPI document at /docs/json and the TypeScript types.
 */
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Outcome } from '../events/outcomes.js';
import { RecentHandshake } from '../events/handshake.js';

/** Extra fields pass through: other layers add to events and state without breaking the API. */
const Open = <T extends Parameters<typeof Type.Object>[0]>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: true, description });

export const CertView = Type.Object({
  subject: Type.String(),
  cn: Type.String(),
  issuer: Type.String(),
  keyType: Type.String(),
  notBefore: Type.String(),
  notAfter: Type.String(),
  sha256: Type.String(),
});

export const ChainView = Type.Object({
  id: Type.String({ description: 'catalog chain id, or file:PATH' }),
  keyType: Type.Union([Type.Literal('rsa'), Type.Literal('ec')]),
  root: Type.String({ description: 'subject of the root the chain anchors to (known to devices, never served)' }),
  rootId: Type.Optional(Type.String({ description: 'catalog root id: download it at /certs/roots/{rootId}' })),
  leafSha256: Type.String(),
  served: Type.Array(CertView, { description: 'leaf first, then intermediates, in served order' }),
});

/** A mixed rollout (`chain: {weighted: [...], seed}`): every chain a connection may be served. */
export const ChainMix = Type.Object(
  {
    seed: Type.Integer({
      description:
        "the PRNG seed in force: the scenario's, or the random one drawn when the chains were loaded (put it in the scenario to repeat the sequence)",
    }),
    seeded: Type.Boolean({ description: 'whether the scenario gave the seed' }),
    options: Type.Array(
      Type.Object({
        weight: Type.Number(),
        share: Type.Number({
          description: 'weight / sum of the weights: the fraction of connections served this chain',
        }),
        chain: ChainView,
      }),
      { description: 'in the scenario order' },
    ),
  },
  {
    description:
      'present when each connection draws its chain by weight (a mixed rollout); the chain fields beside it describe the first option',
  },
);

/** The chain of one key type an endpoint serves; for a mixed rollout, the mix's first option and the mix. */
export const ServedChainView = Type.Composite([
  ChainView,
  Type.Object({
    mix: Type.Optional(ChainMix),
  }),
]);

export const EndpointState = Open({
  name: Type.String(),
  kind: Type.String(),
  hostnames: Type.Array(Type.String()),
  isDefault: Type.Boolean(),
  listen: Type.Object({ host: Type.String(), port: Type.Integer() }),
  profile: Type.String({ description: 'the profile in force now (after minTlsVersion and dated entries)' }),
  clientCert: Type.String(),
  after: Type.String(),
  generation: Type.Integer({ description: 'leaf generation; rotate-leaf increments it' }),
  openConnections: Type.Integer(),
  chains: Type.Object({ rsa: Type.Optional(ServedChainView), ec: Type.Optional(ServedChainView) }),
});

export const State = Open({
  scenario: Type.Object({ name: Type.String(), file: Type.String(), description: Type.Optional(Type.String()) }),
  clock: Type.Object({ now: Type.String({ format: 'date-time' }), simulated: Type.Boolean() }),
  endpoints: Type.Array(EndpointState),
  devices: Type.Array(Open({ id: Type.String(), auth: Type.String(), connected: Type.Boolean() }), {
    description: 'the device registry: id, auth, connected, telemetry count, twin (no keys)',
  }),
  provisioning: Open(
    { enrollments: Type.Array(Open({})), registrations: Type.Array(Open({})) },
    'DPS: id scope, enrollments (no keys), registrations so far',
  ),
  timeline: Type.Array(Open({ id: Type.String(), state: Type.String() }), {
    description: 'timeline steps with their state (done, waiting, running, pending, failed)',
  }),
  faults: Type.Array(
    Open({ id: Type.String(), endpoint: Type.String(), fault: Type.String(), active: Type.Boolean() }),
    { description: 'declared and started faults' },
  ),
  handshakes: Type.Object({ total: Type.Integer({ description: 'handshake events since start' }) }),
});

/** The handshake event as the log has it (src/events/handshake.ts), numbered and timed by the ring. */
export const Handshake = RecentHandshake;

export const HandshakesQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  outcome: Type.Optional(Outcome),
  endpoint: Type.Optional(Type.String()),
  after: Type.Optional(Type.Integer({ minimum: 0, description: 'only events with a larger seq' })),
});

export const ActionResult = Type.Object({
  message: Type.String(),
  dropped: Type.Optional(Type.Integer()),
  state: State,
});

const EndpointName = Type.String({ minLength: 1, description: 'endpoint name, see GET /state' });

export const MigrateBody = Type.Object(
  {
    chain: Type.String({ minLength: 1, description: 'catalog chain id to serve from now on (`hubtls certs list`)' }),
    endpoints: Type.Optional(Type.Array(EndpointName, { minItems: 1, description: 'default: every endpoint' })),
    drop: Type.Optional(
      Type.Boolean({ default: true, description: 'drop open connections so devices reconnect and meet the new chain' }),
    ),
  },
  { additionalProperties: false },
);

export const ChainBody = Type.Object(
  {
    endpoint: EndpointName,
    chain: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'catalog chain id; its key type says which chain (RSA or ECC) it replaces',
      }),
    ),
    rotate: Type.Optional(Type.Literal('leaf', { description: 'new leaf key and serial, same names and issuer' })),
  },
  { additionalProperties: false },
);

export const ClockBody = Type.Object(
  {
    to: Type.Optional(Type.String({ format: 'date-time', description: 'simulated instant to jump to' })),
    advanceSeconds: Type.Optional(Type.Number({ description: 'move the clock by this many seconds (negative: back)' })),
  },
  { additionalProperties: false },
);

export const ProfileBody = Type.Object(
  {
    endpoint: EndpointName,
    profile: Type.String({ minLength: 1, description: 'profile id (`hubtls profiles`)' }),
    minTlsVersion: Type.Optional(Type.Literal('1.2')),
  },
  { additionalProperties: false },
);

export const DropBody = Type.Object({ endpoint: Type.Optional(EndpointName) }, { additionalProperties: false });

export const RootParams = Type.Object({ id: Type.String({ minLength: 1 }) });
export const DeviceParams = Type.Object({ deviceId: Type.String({ minLength: 1, maxLength: 128 }) });
export const CertQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('pem'), Type.Literal('der')], { default: 'pem' })),
});
export const DeviceQuery = Type.Object({
  format: Type.Optional(Type.Union([Type.Literal('pem'), Type.Literal('der')], { default: 'pem' })),
  part: Type.Optional(
    Type.Union([Type.Literal('cert'), Type.Literal('chain'), Type.Literal('key')], {
      default: 'chain',
      description: 'chain: device cert + its CA (PEM)',
    }),
  ),
  signer: Type.Optional(Type.Union([Type.Literal('ca'), Type.Literal('self')], { default: 'ca' })),
  keyType: Type.Optional(Type.Union([Type.Literal('rsa'), Type.Literal('ec')], { default: 'rsa' })),
});

export const Ok = (schema: TSchema) => ({ 200: schema, '4xx': { $ref: 'Error#' }, '5xx': { $ref: 'Error#' } });

export type StateT = Static<typeof State>;
export type ChainMixT = Static<typeof ChainMix>;
export type ChainViewT = Static<typeof ChainView>;
export type CertViewT = Static<typeof CertView>;
