/** The session event: what happened after TLS (a device's MQTT / HTTPS request, a forwarded connection). */
import { Type, type Static } from '@sinclair/typebox';
import { Outcome } from './outcomes.js';

const literals = <T extends string>(values: readonly T[], opts = {}) =>
  Type.Union(
    values.map((v) => Type.Literal(v)),
    opts,
  );

const ACTIONS = [
  'connect',
  'disconnect',
  'telemetry',
  'twin-get',
  'twin-patch',
  'method',
  'c2d',
  'c2d-complete',
  'c2d-abandon',
  'c2d-reject',
  'subscribe',
  'dps-register',
  'dps-status',
  'request',
  'forward-open',
  'forward-close',
  'renegotiation-refused',
  'tls-error',
  'ws-upgrade',
  'ws-close',
  // AMQP: the peer's open, a CBS put-token, a link attached or detached, bad input, a feedback batch
  'open',
  'put-token',
  'attach',
  'detach',
  'protocol-error',
  'c2d-feedback',
] as const;

export const SessionEvent = Type.Object(
  {
    type: Type.Literal('session'),
    conn: Type.Integer(),
    endpoint: Type.String(),
    peer: Type.String(),
    protocol: literals(['mqtt', 'https', 'amqp', 'mqtt-ws', 'amqp-ws', 'forward', 'tls'] as const, {
      description:
        "'tls': the TLS layer under any after-TLS mode (a refused renegotiation, a fatal TLS error); " +
        "'mqtt-ws' / 'amqp-ws': MQTT or AMQP inside a WebSocket on the HTTPS port",
    }),
    action: literals(ACTIONS),
    ok: Type.Boolean(),
    outcome: Type.Optional(
      Type.Union(Outcome.anyOf, {
        description: 'set on refusals that have a stable code (HUBTLS_MTLS_UNAUTHORIZED, HUBTLS_DEVICE_UNAUTHORIZED)',
      }),
    ),
    deviceId: Type.Optional(Type.String()),
    registrationId: Type.Optional(Type.String()),
    status: Type.Optional(
      Type.Integer({
        description: 'CONNACK return code, HTTP status, DPS status code, or WebSocket close code (ws-close)',
      }),
    ),
    errorCode: Type.Optional(
      Type.Integer({ description: "Azure's numeric error code (401002, 401003, …) on refusals" }),
    ),
    reason: Type.String(),
    detail: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: true, description: 'what happened after TLS' },
);

export type SessionEvent = Static<typeof SessionEvent>;
