/**
 * Device identities as IoT Hub's service API writes and reads them (api-version 2021-04-12):
 * `authentication` {type sas | selfSigned | certificateAuthority | none}, `status`, `capabilities`,
 * `deviceScope`, `parentScopes`. Reading validates as IoT Hub does (400004 ArgumentInvalid).
 */
import { DEVICE_ID } from '../pki/specs.js';
import crypto from 'node:crypto';
import { fail, type ServiceError } from './service-errors.js';
import { normalizeThumbprint, type DeviceAuth, type DeviceRecord } from './types.js';

/** IoT Hub's "never" time. */
export const NEVER = '0001-01-01T00:00:00Z';

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

/** What a PUT /devices/{id} (or a bulk entry) asks for. */
export interface DeviceWrite {
  auth: DeviceAuth;
  status: 'enabled' | 'disabled';
  statusReason?: string;
  iotEdge: boolean;
  deviceScope?: string;
  parentScopes?: string[];
  etag?: string;
}

export function validId(id: string): boolean {
  return DEVICE_ID.test(id);
}

export function generatedKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

function validKey(k: string): boolean {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(k)) return false;
  const n = Buffer.from(k, 'base64').length;
  return n >= 16 && n <= 64;
}

function readSas(sym: unknown): DeviceAuth | string {
  const s = isDoc(sym) ? sym : {};
  const [p, q] = [s.primaryKey, s.secondaryKey].map((k) => (typeof k === 'string' && k ? k : undefined));
  if ((p && !validKey(p)) || (q && !validKey(q))) return 'symmetric keys must be base64 of 16 to 64 bytes';
  return { type: 'sas', primaryKey: p ?? generatedKey(), secondaryKey: q ?? generatedKey() };
}

function readThumbprints(x: unknown): DeviceAuth | string {
  const t = isDoc(x) ? x : {};
  const [p, q] = [t.primaryThumbprint, t.secondaryThumbprint].map((v) =>
    typeof v === 'string' && v ? normalizeThumbprint(v) : undefined,
  );
  if (!p) return 'selfSigned authentication needs x509Thumbprint.primaryThumbprint';
  if (![p, q].every((v) => v === undefined || /^([0-9a-f]{40}|[0-9a-f]{64})$/.test(v)))
    return 'thumbprints must be 40 (SHA-1) or 64 (SHA-256) hex digits';
  return { type: 'x509-thumbprint', primaryThumbprint: p, ...(q ? { secondaryThumbprint: q } : {}) };
}

export function readAuth(a: unknown): DeviceAuth | string {
  const auth = isDoc(a) ? a : {};
  const type = auth.type ?? 'sas';
  if (type === 'sas') return readSas(auth.symmetricKey);
  if (type === 'selfSigned') return readThumbprints(auth.x509Thumbprint);
  if (type === 'certificateAuthority') return { type: 'x509-ca' };
  if (type === 'none') return { type: 'none' };
  return `authentication type '${String(type)}' is not sas, selfSigned, certificateAuthority or none`;
}

function readScopes(body: Doc): Pick<DeviceWrite, 'deviceScope' | 'parentScopes'> | string {
  const { deviceScope, parentScopes } = body;
  if (deviceScope !== undefined && deviceScope !== null && typeof deviceScope !== 'string')
    return 'deviceScope must be a string';
  if (parentScopes !== undefined && parentScopes !== null)
    if (!Array.isArray(parentScopes) || !parentScopes.every((s) => typeof s === 'string'))
      return 'parentScopes must be an array of strings';
  return {
    ...(typeof deviceScope === 'string' && deviceScope ? { deviceScope } : {}),
    ...(Array.isArray(parentScopes) ? { parentScopes: parentScopes as string[] } : {}),
  };
}

/** Reads a device body; `id` is the id of the URL (or the bulk entry's `id`), which the body must not contradict. */
export function readDevice(body: unknown, id: string): DeviceWrite | ServiceError {
  if (!validId(id)) return fail('ArgumentInvalid', `invalid device id '${id}'`);
  if (!isDoc(body)) return fail('ArgumentInvalid', 'the request body must be a device JSON object');
  if (body.deviceId !== undefined && body.deviceId !== id)
    return fail('ArgumentInvalid', `deviceId '${String(body.deviceId)}' in the body does not match '${id}'`);
  const status = body.status ?? 'enabled';
  if (status !== 'enabled' && status !== 'disabled')
    return fail('ArgumentInvalid', `status '${String(status)}' is not enabled or disabled`);
  const auth = readAuth(body.authentication);
  if (typeof auth === 'string') return fail('ArgumentInvalid', auth);
  const scopes = readScopes(body);
  if (typeof scopes === 'string') return fail('ArgumentInvalid', scopes);
  const caps = isDoc(body.capabilities) ? body.capabilities : {};
  return {
    auth,
    status,
    ...(typeof body.statusReason === 'string' ? { statusReason: body.statusReason } : {}),
    iotEdge: caps.iotEdge === true,
    ...scopes,
    ...(typeof body.etag === 'string' && body.etag ? { etag: body.etag } : {}),
  };
}

export function authJson(a: DeviceAuth) {
  const type = { sas: 'sas', 'x509-thumbprint': 'selfSigned', 'x509-ca': 'certificateAuthority', none: 'none' }[a.type];
  return {
    symmetricKey: {
      primaryKey: a.type === 'sas' ? a.primaryKey : null,
      secondaryKey: a.type === 'sas' ? (a.secondaryKey ?? null) : null,
    },
    x509Thumbprint: {
      primaryThumbprint: a.type === 'x509-thumbprint' ? a.primaryThumbprint : null,
      secondaryThumbprint: a.type === 'x509-thumbprint' ? (a.secondaryThumbprint ?? null) : null,
    },
    type,
  };
}

/** The device JSON IoT Hub returns. */
export function deviceJson(r: DeviceRecord, connected: boolean, stateUpdated?: string, c2dQueued = 0) {
  const i = r.identity;
  return {
    deviceId: r.spec.id,
    generationId: i.generationId,
    etag: i.etag,
    connectionState: connected ? 'Connected' : 'Disconnected',
    status: i.status,
    statusReason: i.statusReason ?? null,
    connectionStateUpdatedTime: stateUpdated ?? NEVER,
    statusUpdatedTime: i.statusUpdatedTime,
    lastActivityTime: r.lastActivity ?? NEVER,
    cloudToDeviceMessageCount: c2dQueued,
    authentication: authJson(r.spec.auth),
    capabilities: { iotEdge: i.iotEdge },
    ...(i.deviceScope ? { deviceScope: i.deviceScope } : {}),
    parentScopes: i.parentScopes,
  };
}
