/** Compiled device-side configuration and the records the registry keeps. */
import type { X509Certificate } from 'node:crypto';
import type { PolicySpec, PolicyTable } from './policies.js';

export type DeviceAuth =
  | { type: 'sas'; primaryKey: string; secondaryKey?: string }
  /** primaryThumbprint '' until DeviceRegistry.load() issues the self-signed certificate. */
  | { type: 'x509-thumbprint'; primaryThumbprint: string; secondaryThumbprint?: string }
  | { type: 'x509-ca' }
  /** Created through the service API with authentication type `none`: no credential connects. */
  | { type: 'none' };

export interface DeviceSpec {
  id: string;
  auth: DeviceAuth;
  desired?: Record<string, unknown>;
  /** Module identities the scenario gives the device (SAS); the service API adds more at run time. */
  modules?: ModuleSpec[];
}

export interface ModuleSpec {
  id: string;
  primaryKey: string;
  secondaryKey?: string;
}

export type CaSource = { catalog: string } | { file: string };

export type Attestation =
  | { type: 'symmetric-key'; primaryKey: string; secondaryKey?: string }
  | { type: 'x509'; primaryThumbprint: string; secondaryThumbprint?: string }
  | { type: 'x509-ca'; ca: CaSource };

export interface EnrollmentSpec {
  kind: 'individual' | 'group';
  /** registrationId (individual) or groupId (group). */
  id: string;
  attestation: Attestation;
  /** Hub endpoint name and the host name DPS returns as assignedHub. */
  hub: string;
  assignedHub: string;
  /** Individual only: device id in the hub (default: the registration id). */
  deviceId?: string;
}

export interface CompiledDevices {
  idScope: string;
  cas: CaSource[];
  devices: DeviceSpec[];
  enrollments: EnrollmentSpec[];
  /** The scenario's `policies:`; undefined = the default iothubowner, whose keys DeviceRegistry.load() reads or makes. */
  policies?: PolicySpec[];
}

export interface TelemetryRecord {
  /** Scenario time the message arrived. */
  at: string;
  protocol: 'mqtt' | 'https' | 'amqp' | 'amqp-ws' | 'mqtt-ws';
  /** Application and system properties ($.ct, $.ce, …) from the topic or headers. */
  properties: Record<string, string>;
  /** Body as UTF-8 text when it is valid UTF-8, else base64 (then `base64: true`). */
  body: string;
  base64?: boolean;
  bytes: number;
}

export interface TwinState {
  desired: Record<string, unknown> & { $version: number };
  reported: Record<string, unknown> & { $version: number };
}

/** Normalized thumbprint: lowercase hex without colons. */
export function normalizeThumbprint(t: string): string {
  return t.replace(/:/g, '').toLowerCase();
}

/** Stable label for a CA source in logs. */
export function describeCa(ca: CaSource): string {
  return 'catalog' in ca ? ca.catalog : `file:${ca.file}`;
}

/** What IoT Hub's registry keeps of a device beside its credentials (see identity.ts). */
export interface Identity {
  /** Changes when a device is deleted and created again under the same id. */
  generationId: string;
  /** Device etag: changes on every update of the identity. */
  etag: string;
  status: 'enabled' | 'disabled';
  statusReason?: string;
  statusUpdatedTime: string;
  iotEdge: boolean;
  /** Edge devices: their own scope; leaf devices: the parent Edge device's scope. */
  deviceScope?: string;
  parentScopes: string[];
}

/** The service's side of the twin: tags and the twin's own version and etag (any change bumps them). */
export interface TwinMeta {
  version: number;
  etag: string;
  tags: Record<string, unknown>;
  desiredUpdated: string;
  reportedUpdated: string;
}

/** A module identity on a device (IoT Edge modules and others): its own credentials and twin. */
export interface ModuleRecord {
  deviceId: string;
  moduleId: string;
  auth: DeviceAuth;
  managedBy?: string;
  generationId: string;
  etag: string;
  created: string;
  lastActivity?: string;
  twin: TwinState;
  twinMeta: TwinMeta;
}

export interface DeviceRecord {
  spec: DeviceSpec;
  source: 'scenario' | 'dps' | 'admin' | 'api';
  created: string;
  identity: Identity;
  twinMeta: TwinMeta;
  twin: TwinState;
  /** Module identities by module id. */
  modules: Map<string, ModuleRecord>;
  telemetry: TelemetryRecord[];
  telemetryCount: number;
  lastActivity?: string;
}

/** What device authentication and DPS need of the registry (DeviceRegistry is the one implementation). */
export interface RegistryLookup {
  get(id: string): DeviceRecord | undefined;
  /** The hub's shared access policies (a policy with DeviceConnect may sign for any device). */
  readonly policies: PolicyTable;
  registeredCas(): X509Certificate[];
  ca(source: CaSource): X509Certificate;
  upsert(spec: DeviceSpec, source: DeviceRecord['source']): DeviceRecord;
}
