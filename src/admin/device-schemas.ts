/**
 * TypeBox schemas of the device routes (routes/devices.ts): what a bench without a service SDK
 * sends to act as the cloud (add/remove devices, desired patches, methods, C2D) and what it reads back.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID } from '../pki/specs.js';
import { THUMBPRINT_PATTERN } from '../core/schema.js';

/** IoT Hub's device id rule (src/pki/specs.ts). */
const DeviceId = Type.String({
  pattern: DEVICE_ID.source,
  description: "IoT Hub device id: 1-128 of A-Z a-z 0-9 - . % _ * ? ! ( ) , : = @ $ '",
});
const Base64Key = Type.String({
  pattern: '^[A-Za-z0-9+/]{22,}={0,2}$',
  description: 'base64 symmetric key (16 to 64 bytes); generated when left out',
});
const Thumbprint = Type.String({
  pattern: THUMBPRINT_PATTERN,
  description: 'SHA-1 (40 hex) or SHA-256 (64 hex) certificate thumbprint, colons allowed',
});
const Strict = { additionalProperties: false } as const;

export const DeviceIdParams = Type.Object({ id: DeviceId });
export const MethodParams = Type.Object({
  id: DeviceId,
  name: Type.String({ pattern: '^[A-Za-z0-9_.:@$\\-]{1,128}$', description: 'direct method name' }),
});

export const NewDeviceBody = Type.Object(
  {
    id: DeviceId,
    auth: Type.Union([
      Type.Object(
        {
          type: Type.Literal('sas'),
          primaryKey: Type.Optional(Base64Key),
          secondaryKey: Type.Optional(Base64Key),
        },
        Strict,
      ),
      Type.Object(
        {
          type: Type.Literal('x509-thumbprint'),
          primaryThumbprint: Type.Optional(
            Type.String({
              ...Thumbprint,
              description: `${Thumbprint.description}; left out: hubtls issues a self-signed certificate (GET /certs/devices/{id}?signer=self)`,
            }),
          ),
          secondaryThumbprint: Type.Optional(Thumbprint),
        },
        Strict,
      ),
      Type.Object({ type: Type.Literal('x509-ca') }, Strict),
    ]),
  },
  Strict,
);

const TwinVersions = Type.Object({ desired: Type.Integer(), reported: Type.Integer() });

export const DeviceSummary = Type.Object({
  id: Type.String(),
  auth: Type.String({ description: 'sas, x509-thumbprint or x509-ca' }),
  thumbprints: Type.Optional(Type.Array(Type.String())),
  source: Type.String({ description: 'where the device came from: scenario, dps or admin' }),
  created: Type.String(),
  connected: Type.Boolean(),
  transport: Type.Optional(
    Type.String({ description: 'mqtt, https, amqp, mqtt-ws or amqp-ws, when the adapter says' }),
  ),
  telemetryCount: Type.Integer({ description: 'messages since start (the last 100 are kept)' }),
  lastActivity: Type.Optional(Type.String()),
  twinVersions: TwinVersions,
});

export const DeviceDetail = Type.Composite([
  DeviceSummary,
  Type.Object({
    twin: Type.Object(
      { desired: Type.Record(Type.String(), Type.Unknown()), reported: Type.Record(Type.String(), Type.Unknown()) },
      { description: 'the twin documents, each with its $version' },
    ),
  }),
]);

export const CreatedDevice = Type.Composite([
  DeviceDetail,
  Type.Object({
    credentials: Type.Object(
      {
        primaryKey: Type.Optional(Type.String()),
        secondaryKey: Type.Optional(Type.String()),
        primaryThumbprint: Type.Optional(Type.String()),
        secondaryThumbprint: Type.Optional(Type.String()),
      },
      { description: 'the keys or thumbprints in force (shown once, here)' },
    ),
  }),
]);

export const DeletedDevice = Type.Object({
  id: Type.String(),
  deleted: Type.Literal(true),
  disconnected: Type.Boolean({ description: 'a live connection of the device was closed' }),
});

export const DesiredPatch = Type.Record(Type.String({ pattern: '^[^$]' }), Type.Unknown(), {
  minProperties: 1,
  additionalProperties: false,
  description: 'a JSON merge patch of the desired properties: null deletes; $-keys are the hub’s own',
});

export const DesiredResult = Type.Object({
  version: Type.Integer({ description: 'the desired $version after the patch' }),
  delivered: Type.Boolean({ description: 'pushed to a connected device subscribed to desired updates' }),
});

export const MethodBody = Type.Object(
  {
    payload: Type.Optional(Type.Unknown({ description: 'any JSON (default null)' })),
    timeoutSeconds: Type.Optional(
      Type.Number({ minimum: 0.1, maximum: 300, default: 30, description: 'how long to wait for the answer' }),
    ),
  },
  Strict,
);

export const MethodAnswer = Type.Object({
  status: Type.Integer({ description: "the device's status code" }),
  payload: Type.Unknown({ description: "the device's answer" }),
});

export const C2dBody = Type.Object(
  {
    body: Type.String({ maxLength: 262_144, description: 'message body (text, or base64 with "base64": true)' }),
    base64: Type.Optional(Type.Boolean({ default: false })),
    properties: Type.Optional(
      Type.Record(Type.String({ pattern: '^[^$]', minLength: 1, maxLength: 128 }), Type.String({ maxLength: 1024 }), {
        maxProperties: 64,
        additionalProperties: false,
        description: 'application properties ($-prefixed system properties are the hub’s)',
      }),
    ),
  },
  Strict,
);

export const C2dResult = Type.Object({
  messageId: Type.String({ description: "the message's $.mid" }),
  queued: Type.Integer({
    description: "messages in the device's queue now, this one included (IoT Hub's limit is 50)",
  }),
});

export const TelemetryQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
});

export const TelemetryMessage = Type.Object({
  at: Type.String({ description: 'scenario time the message arrived' }),
  protocol: Type.String(),
  properties: Type.Record(Type.String(), Type.String()),
  body: Type.String(),
  base64: Type.Optional(Type.Boolean()),
  bytes: Type.Integer(),
});

export const TelemetryList = Type.Object({
  deviceId: Type.String(),
  now: Type.String({ description: 'the scenario clock now (times are on it)' }),
  total: Type.Integer({ description: 'messages since start' }),
  messages: Type.Array(TelemetryMessage, { description: 'newest first' }),
});

export type NewDeviceT = Static<typeof NewDeviceBody>;
export type DeviceSummaryT = Static<typeof DeviceSummary>;
export type C2dResultT = Static<typeof C2dResult>;
