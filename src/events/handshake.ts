/**
 * The handshake event: one per connection that reached a verdict, the line a user greps for.
 * One TypeBox definition gives the TypeScript type the TLS layer fills in, the schema the admin
 * API answers with (and documents in OpenAPI), and a check for tests.
 *
 * Nested objects say `additionalProperties: true` on purpose: the admin API serialises with these
 * schemas (fast-json-stringify), which drops undeclared fields unless told otherwise, and the API
 * must show what the log shows.
 */
import { Type, type Static } from '@sinclair/typebox';
import { TLS_VERSIONS } from '../profiles/suites.js';
import { Outcome } from './outcomes.js';

const open = { additionalProperties: true } as const;

export const TlsVersionSchema = Type.Union(TLS_VERSIONS.map((v) => Type.Literal(v)));

/** The ClientHello as it appears in events and reports (compact, JSON-friendly). */
export const HelloView = Type.Object(
  {
    sni: Type.Optional(Type.String({ description: 'server_name, if sent' })),
    versions: Type.Array(TlsVersionSchema, { description: 'TLS versions offered' }),
    suites: Type.Array(Type.String(), { description: 'cipher suites offered (IANA names), in client order' }),
    groups: Type.Array(Type.String()),
    sigalgs: Type.Array(Type.String()),
    alpn: Type.Array(Type.String()),
    maxFragmentLength: Type.Optional(Type.Integer({ description: 'max_fragment_length asked for, in bytes' })),
    ja3: Type.String(),
    ja4: Type.String(),
    bytes: Type.Integer({ description: 'size of the ClientHello records' }),
  },
  { ...open, description: 'the ClientHello, summarised' },
);

/** A scenario fault that acted on a connection (src/faults/). */
export const FaultRecord = Type.Object(
  {
    id: Type.String(),
    fault: Type.String({ description: 'fault name (`hubtls faults`)' }),
    explanation: Type.String({ description: 'what a device sees, in words' }),
    detail: Type.Optional(Type.String({ description: 'what the fault did on this connection' })),
  },
  open,
);

const Negotiated = Type.Object(
  {
    version: Type.String(),
    suite: Type.String(),
    alpn: Type.Optional(Type.Union([Type.String(), Type.Literal(false)])),
  },
  { ...open, description: 'what the handshake settled on' },
);

const ServedChain = Type.Object(
  { id: Type.String(), keyType: Type.String(), leafSha256: Type.String(), root: Type.String() },
  { ...open, description: 'the chain served' },
);

const ClientCert = Type.Object(
  { subject: Type.String(), sha1: Type.String(), sha256: Type.String(), notAfter: Type.String() },
  { ...open, description: 'the certificate the device presented' },
);

const Mfl = Type.Object(
  { requested: Type.Integer(), mode: Type.String() },
  { ...open, description: "max_fragment_length asked for, and the profile's answer" },
);

/** Every field of a handshake event; shared with the admin API's view of it (RecentHandshake). */
const handshakeFields = {
  type: Type.Literal('handshake'),
  conn: Type.Integer({ description: 'connection number since start' }),
  listener: Type.String(),
  peer: Type.String(),
  endpoint: Type.Optional(Type.String()),
  profile: Type.Optional(Type.String()),
  outcome: Outcome,
  reason: Type.String({ description: 'why, in words' }),
  alertSent: Type.Optional(Type.String()),
  alertReceived: Type.Optional(Type.String()),
  hello: Type.Optional(HelloView),
  negotiated: Type.Optional(Negotiated),
  chain: Type.Optional(ServedChain),
  engine: Type.Optional(Type.String({ description: 'the TLS engine that ran the handshake' })),
  clientCert: Type.Optional(ClientCert),
  mfl: Type.Optional(Mfl),
  notes: Type.Optional(Type.Array(Type.String())),
  faults: Type.Optional(Type.Array(FaultRecord, { description: 'scenario faults that acted before the verdict' })),
  durationMs: Type.Number(),
};

export const HandshakeEvent = Type.Object(handshakeFields, {
  ...open,
  description: 'one per connection that reached a verdict',
});

/** A handshake event as kept for the admin API and dashboard: numbered, with its wall time. */
export const RecentHandshake = Type.Object(
  {
    seq: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    ...handshakeFields,
    handshakeOutcome: Type.Optional(
      Type.Union(Outcome.anyOf, {
        description: 'set when a later `verdict` event replaced `outcome` and `reason`: what the handshake said',
      }),
    ),
    handshakeReason: Type.Optional(Type.String({ description: "the handshake's reason, when a verdict replaced it" })),
  },
  { ...open, description: 'one handshake event, as logged, numbered and timed; `outcome` is the final verdict' },
);

export type HelloView = Static<typeof HelloView>;
export type FaultRecord = Static<typeof FaultRecord>;
export type HandshakeEvent = Static<typeof HandshakeEvent>;
export type RecentHandshake = Static<typeof RecentHandshake>;
