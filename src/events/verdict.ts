/**
 * The verdict event: a final verdict on a connection whose `handshake` event is already out. The
 * handshake event says what TLS saw (HUBTLS_ACCEPTED); some clients say no only afterwards — a
 * Node.js, Java or .NET client that rejects the chain drops the connection silently right after
 * the handshake (src/after/silent-close.ts). The ring, metrics, SSE and dashboard apply this event
 * to the connection's handshake, so the admin API shows the final verdict.
 */
import { Type, type Static } from '@sinclair/typebox';
import { Outcome } from './outcomes.js';

export const VerdictEvent = Type.Object(
  {
    type: Type.Literal('verdict'),
    conn: Type.Integer({ description: 'the connection whose handshake event this amends' }),
    endpoint: Type.Optional(Type.String()),
    outcome: Type.Union(Outcome.anyOf, { description: 'the final verdict' }),
    handshakeOutcome: Type.Union(Outcome.anyOf, { description: "the handshake event's outcome, now replaced" }),
    inferred: Type.Boolean({ description: 'concluded from behaviour (a silent close), not from an alert' }),
    reason: Type.String(),
  },
  { additionalProperties: true, description: "a connection's final verdict, after its handshake event" },
);

export type VerdictEvent = Static<typeof VerdictEvent>;
