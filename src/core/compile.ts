/** Scenario fields `idScope`, `deviceCAs`, `devices`, `enrollments` → CompiledDevices (defaults applied). */
import { resolve } from 'node:path';
import type { CaRefFile, DeviceEntryFile, EnrollmentEntryFile, PolicyEntryFile } from './schema.js';
import type { Attestation, CaSource, CompiledDevices, DeviceAuth, DeviceSpec, EnrollmentSpec } from './types.js';
import { normalizeThumbprint } from './types.js';

export const DEVICE_DEFAULTS = { idScope: '0ne00000001', ca: 'device-root-ca', hubName: 'hubtls' } as const;

export interface DeviceDoc {
  idScope?: string;
  deviceCAs?: CaRefFile[];
  devices?: DeviceEntryFile[];
  enrollments?: EnrollmentEntryFile[];
  policies?: PolicyEntryFile[];
  endpoints: Array<{ name: string; kind: 'iothub' | 'dps'; hostnames: string[] }>;
}

export function caSource(ref: CaRefFile, baseDir: string): CaSource {
  return typeof ref === 'string' ? { catalog: ref } : { file: resolve(baseDir, ref.file) };
}

function thumbs(primary: string | undefined, secondary: string | undefined) {
  return {
    primaryThumbprint: normalizeThumbprint(primary ?? ''),
    ...(secondary ? { secondaryThumbprint: normalizeThumbprint(secondary) } : {}),
  };
}

function keys(primary: string | undefined, secondary: string | undefined) {
  return { primaryKey: primary ?? '', ...(secondary ? { secondaryKey: secondary } : {}) };
}

function deviceAuth(d: DeviceEntryFile): DeviceAuth {
  if (d.auth === 'sas') return { type: 'sas', ...keys(d.primaryKey, d.secondaryKey) };
  if (d.auth === 'x509-thumbprint')
    return { type: 'x509-thumbprint', ...thumbs(d.primaryThumbprint, d.secondaryThumbprint) };
  return { type: 'x509-ca' };
}

function attestation(e: EnrollmentEntryFile, baseDir: string): Attestation {
  if (e.attestation === 'symmetric-key') return { type: 'symmetric-key', ...keys(e.primaryKey, e.secondaryKey) };
  if (e.attestation === 'x509') return { type: 'x509', ...thumbs(e.primaryThumbprint, e.secondaryThumbprint) };
  return { type: 'x509-ca', ca: caSource(e.ca ?? DEVICE_DEFAULTS.ca, baseDir) };
}

/** The host name a device is told to connect to: a concrete SNI name of the hub, else "hubtls.<domain>". */
export function hubHostName(hostnames: readonly string[]): string {
  const concrete = hostnames.find((h) => !h.startsWith('*.') && h.includes('.'));
  if (concrete) return concrete;
  const wildcard = hostnames.find((h) => h.startsWith('*.'));
  return wildcard ? `${DEVICE_DEFAULTS.hubName}${wildcard.slice(1)}` : `${DEVICE_DEFAULTS.hubName}.azure-devices.net`;
}

function enrollment(e: EnrollmentEntryFile, doc: DeviceDoc, baseDir: string): EnrollmentSpec {
  const hubs = doc.endpoints.filter((ep) => ep.kind === 'iothub');
  const hub = hubs.find((h) => h.name === e.hub) ?? hubs[0];
  return {
    kind: e.groupId !== undefined ? 'group' : 'individual',
    id: e.groupId ?? e.registrationId ?? '',
    attestation: attestation(e, baseDir),
    hub: hub?.name ?? '',
    assignedHub: e.iotHubHostName ?? hubHostName(hub?.hostnames ?? []),
    ...(e.deviceId ? { deviceId: e.deviceId } : {}),
  };
}

export function compileDevices(doc: DeviceDoc, baseDir: string): CompiledDevices {
  return {
    idScope: doc.idScope ?? DEVICE_DEFAULTS.idScope,
    cas: (doc.deviceCAs ?? [DEVICE_DEFAULTS.ca]).map((r) => caSource(r, baseDir)),
    devices: (doc.devices ?? []).map((d): DeviceSpec => ({
      id: d.id,
      auth: deviceAuth(d),
      ...(d.desired ? { desired: d.desired } : {}),
      ...(d.modules ? { modules: d.modules.map((m) => ({ ...m })) } : {}),
    })),
    enrollments: (doc.enrollments ?? []).map((e) => enrollment(e, doc, baseDir)),
    ...(doc.policies ? { policies: doc.policies.map((p) => ({ ...p, rights: [...p.rights] })) } : {}),
  };
}
