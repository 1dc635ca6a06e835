/**
 * Scenario-file shapes for the device side: the hub's device registry (`devices:`), the CAs it
 * trusts for CA-signed devices (`deviceCAs:`), the DPS id scope (`idScope:`) and DPS enrollments
 * (`enrollments:`). Flat objects with an `auth` / `attestation` tag: which other fields a tag
 * needs is checked by validate.ts, so every problem is reported with its path in one pass.
 */
import { Type, type Static } from '@sinclair/typebox';
import { DEVICE_ID } from '../pki/specs.js';

const Base64Key = Type.String({
  pattern: '^[A-Za-z0-9+/]{16,}={0,2}$',
  description: 'base64 symmetric key (as in the Azure portal)',
});
/** SHA-1 (40 hex) or SHA-256 (64 hex), colons allowed: the scenario's and the admin API's rule. */
export const THUMBPRINT_PATTERN = '^([0-9A-Fa-f]{2}:?){19}[0-9A-Fa-f]{2}$|^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$';

const Thumbprint = Type.String({
  pattern: THUMBPRINT_PATTERN,
  description: 'certificate thumbprint: SHA-1 (40 hex) or SHA-256 (64 hex), colons allowed',
});

export const CaRef = Type.Union([
  Type.String({ description: 'catalog root id, e.g. device-root-ca (see `hubtls certs list`)' }),
  Type.Object(
    { file: Type.String({ description: 'PEM file with the CA certificate' }) },
    { additionalProperties: false },
  ),
]);

export const ModuleEntry = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID.source, description: 'module id' }),
    primaryKey: Base64Key,
    secondaryKey: Type.Optional(Base64Key),
  },
  { additionalProperties: false, description: 'a module identity (SAS), as IoT Edge modules have them' },
);

export const DeviceEntry = Type.Object(
  {
    id: Type.String({ pattern: DEVICE_ID.source, description: 'IoT Hub device id' }),
    auth: Type.Union([Type.Literal('sas'), Type.Literal('x509-thumbprint'), Type.Literal('x509-ca')], {
      description:
        'sas: symmetric key; x509-thumbprint: certificate by thumbprint (omitted: hubtls issues a self-signed one); x509-ca: CN = id, signed by a deviceCAs entry',
    }),
    primaryKey: Type.Optional(Base64Key),
    secondaryKey: Type.Optional(Base64Key),
    primaryThumbprint: Type.Optional(Thumbprint),
    secondaryThumbprint: Type.Optional(Thumbprint),
    desired: Type.Optional(
      Type.Record(Type.String(), Type.Unknown(), { description: 'initial desired twin properties' }),
    ),
    modules: Type.Optional(Type.Array(ModuleEntry, { description: "the device's module identities" })),
  },
  { additionalProperties: false },
);

export const EnrollmentEntry = Type.Object(
  {
    registrationId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'individual enrollment' })),
    groupId: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'enrollment group' })),
    attestation: Type.Union([Type.Literal('symmetric-key'), Type.Literal('x509'), Type.Literal('x509-ca')], {
      description:
        'symmetric-key (individual key, or group key the device key is derived from); x509 (individual, by thumbprint); x509-ca (group, by signing CA)',
    }),
    primaryKey: Type.Optional(Base64Key),
    secondaryKey: Type.Optional(Base64Key),
    primaryThumbprint: Type.Optional(Thumbprint),
    secondaryThumbprint: Type.Optional(Thumbprint),
    ca: Type.Optional(CaRef),
    hub: Type.Optional(
      Type.String({ description: 'name of the iothub endpoint devices are assigned to (default: the first one)' }),
    ),
    iotHubHostName: Type.Optional(
      Type.String({ minLength: 1, description: 'assignedHub returned to the device (default: from the hub endpoint)' }),
    ),
    deviceId: Type.Optional(
      Type.String({
        minLength: 1,
        description: 'device id in the hub (individual only; default: the registration id)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const PolicyEntry = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9\\-._]{1,64}$',
      description: 'shared access policy name, the skn of its tokens (SharedAccessKeyName in a connection string)',
    }),
    primaryKey: { ...Base64Key, description: 'base64 key (as the portal shows it); signs service SAS tokens' },
    secondaryKey: { ...Base64Key, description: 'base64 key; tokens signed with either key are accepted' },
    rights: Type.Array(
      Type.Union([
        Type.Literal('RegistryRead'),
        Type.Literal('RegistryWrite'),
        Type.Literal('ServiceConnect'),
        Type.Literal('DeviceConnect'),
      ]),
      {
        minItems: 1,
        uniqueItems: true,
        description:
          'RegistryRead, RegistryWrite (devices, modules), ServiceConnect (twins, methods, cloud-to-device), DeviceConnect (connect on behalf of devices)',
      },
    ),
  },
  { additionalProperties: false },
);

/** The top-level fields the scenario schema gains (spread into its Type.Object). */
export const DEVICE_FIELDS = {
  idScope: Type.Optional(
    Type.String({ pattern: '^0[nN][eE][0-9A-Fa-f]{8}$', description: 'DPS id scope, e.g. 0ne00000001' }),
  ),
  deviceCAs: Type.Optional(
    Type.Array(CaRef, {
      description: 'CAs registered (verified) in the hub for x509-ca devices; default [device-root-ca]',
    }),
  ),
  devices: Type.Optional(Type.Array(DeviceEntry)),
  enrollments: Type.Optional(Type.Array(EnrollmentEntry)),
  policies: Type.Optional(
    Type.Array(PolicyEntry, {
      description:
        "the hub's shared access policies; omitted: one iothubowner policy with every right, its keys generated once and kept in the certs folder (policies.json)",
    }),
  ),
};

export type CaRefFile = Static<typeof CaRef>;
export type DeviceEntryFile = Static<typeof DeviceEntry>;
export type EnrollmentEntryFile = Static<typeof EnrollmentEntry>;
export type PolicyEntryFile = Static<typeof PolicyEntry>;
