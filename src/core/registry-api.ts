/**
 * IoT Hub's device registry operations (the service API's `/devices` routes), transport-free:
 * create / update with etags, get, delete, list, and the bulk import of up to 100 devices.
 * Devices created here are in the registry for every transport (source 'api').
 */
import { deviceJson, readDevice, type DeviceWrite } from './device-json.js';
import { edgeScope, etagMatches } from './identity.js';
import type { DeviceRegistry } from './registry.js';
import { done, fail, type ServiceError, type ServiceResult } from './service-errors.js';
import type { DeviceRecord } from './types.js';

export type DeviceJson = ReturnType<typeof deviceJson>;

/** The most devices one bulk request may carry. */
export const BULK_MAX = 100;

function json(reg: DeviceRegistry, r: DeviceRecord): DeviceJson {
  const id = r.spec.id;
  return deviceJson(r, !!reg.links.get(id), reg.links.stateUpdated(id), reg.c2d.depth(id));
}

function notFound(id: string): ServiceError {
  return fail('DeviceNotFound', `Device ${id} not registered`);
}

/** Writes an identity: credentials through upsert, then status, IoT Edge capability and scopes. */
function apply(reg: DeviceRegistry, id: string, w: DeviceWrite, now: Date): DeviceRecord {
  const rec = reg.upsert({ id, auth: w.auth }, 'api', w.iotEdge);
  const i = rec.identity;
  if (i.status !== w.status) i.statusUpdatedTime = now.toISOString();
  i.status = w.status;
  if (w.statusReason !== undefined) i.statusReason = w.statusReason;
  i.iotEdge = w.iotEdge;
  if (w.iotEdge) {
    i.deviceScope = i.deviceScope?.startsWith(`ms-azure-iot-edge://${id}-`)
      ? i.deviceScope
      : edgeScope(id, i.generationId);
    i.parentScopes = w.parentScopes ?? [];
  } else {
    if (w.deviceScope) i.deviceScope = w.deviceScope;
    else delete i.deviceScope;
    i.parentScopes = w.deviceScope ? [w.deviceScope] : [];
  }
  if (w.status === 'disabled') reg.links.get(id)?.close(`device ${id} was disabled in the registry`);
  return rec;
}

/**
 * PUT /devices/{id}: without If-Match it creates (409001 if the id exists); with If-Match it updates
 * an existing device whose etag matches (`*` matches any; 412002 otherwise, 404001 if absent).
 */
export function putDevice(
  reg: DeviceRegistry,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
  now: Date,
): ServiceResult<DeviceJson> {
  const w = readDevice(body, id);
  if ('ok' in w) return w;
  const old = reg.get(id);
  if (!old && ifMatch !== undefined) return notFound(id);
  if (old && ifMatch === undefined)
    return fail('DeviceAlreadyExists', `A device with ID '${id}' is already registered`);
  if (old && !etagMatches(ifMatch, old.identity.etag))
    return fail('PreconditionFailed', `Precondition failed: the etag does not match device ${id}`);
  const rec = apply(reg, id, w, now);
  return done(json(reg, rec), 200, rec.identity.etag);
}

export function getDevice(reg: DeviceRegistry, id: string): ServiceResult<DeviceJson> {
  const r = reg.get(id);
  return r ? done(json(reg, r), 200, r.identity.etag) : notFound(id);
}

/** DELETE /devices/{id}: If-Match `*` or the device's etag (absent: unconditional). */
export function deleteDevice(reg: DeviceRegistry, id: string, ifMatch: string | undefined): ServiceResult<undefined> {
  const r = reg.get(id);
  if (!r) return notFound(id);
  if (!etagMatches(ifMatch, r.identity.etag))
    return fail('PreconditionFailed', `Precondition failed: the etag does not match device ${id}`);
  reg.remove(id);
  return done(undefined, 204);
}

export function listDevices(reg: DeviceRegistry, top = 1000): ServiceResult<DeviceJson[]> {
  const ids = reg.list().map((v) => v.id);
  return done(ids.slice(0, top).map((id) => json(reg, reg.get(id)!)));
}

export interface BulkError {
  deviceId: string;
  errorCode: string;
  errorStatus: string;
}

export interface BulkResult {
  isSuccessful: boolean;
  errors: BulkError[];
  warnings: Array<{ deviceId: string; warningCode: string; warningStatus: string }>;
}

const MODES = ['create', 'update', 'updateifmatchetag', 'delete', 'deleteifmatchetag'] as const;
type Mode = (typeof MODES)[number];

interface BulkEntry {
  id: string;
  mode: Mode;
  body: Record<string, unknown>;
  etag?: string;
}

function readEntries(body: unknown): BulkEntry[] | ServiceError {
  if (!Array.isArray(body) || body.length === 0 || body.length > BULK_MAX)
    return fail('ArgumentInvalid', `a bulk request is an array of 1 to ${BULK_MAX} devices`);
  const entries: BulkEntry[] = [];
  for (const e of body as unknown[]) {
    const doc = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;
    const id = doc.id ?? doc.deviceId;
    const mode = String(doc.importMode ?? '').toLowerCase() as Mode;
    if (typeof id !== 'string' || !MODES.includes(mode))
      return fail('ArgumentInvalid', 'each bulk entry needs an id and an importMode (create, update, delete, …)');
    const etag = doc.eTag ?? doc.etag;
    const { id: _i, importMode: _m, eTag: _e, ...rest } = doc;
    entries.push({ id, mode, body: { ...rest, deviceId: id }, ...(typeof etag === 'string' ? { etag } : {}) });
  }
  return entries;
}

function bulkOne(reg: DeviceRegistry, e: BulkEntry, now: Date): ServiceError | undefined {
  const old = reg.get(e.id);
  const ifMatch = e.mode.endsWith('ifmatchetag') ? (e.etag ?? '') : old ? '*' : undefined;
  if (e.mode.startsWith('delete')) {
    const r = deleteDevice(reg, e.id, ifMatch);
    return r.ok ? undefined : r;
  }
  if (e.mode === 'create' && old)
    return fail('DeviceAlreadyExists', `A device with ID '${e.id}' is already registered`);
  const r = putDevice(reg, e.id, e.body, e.mode === 'updateifmatchetag' && !old ? undefined : ifMatch, now);
  return r.ok ? undefined : r;
}

/** POST /devices: each entry by its importMode; 200 when all succeed, else 400 with the per-device errors. */
export function bulkDevices(reg: DeviceRegistry, body: unknown, now: Date): ServiceResult<BulkResult> {
  const entries = readEntries(body);
  if ('ok' in entries) return entries;
  const errors: BulkError[] = [];
  for (const e of entries) {
    const err = bulkOne(reg, e, now);
    if (err) errors.push({ deviceId: e.id, errorCode: err.code, errorStatus: err.message });
  }
  return done({ isSuccessful: errors.length === 0, errors, warnings: [] }, errors.length ? 400 : 200);
}
