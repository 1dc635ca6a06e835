/**
 * Device twins as IoT Hub's service API shows and changes them (`/twins/{id}`): the twin JSON with
 * `$metadata` and `$version`, PATCH (merge: tags, desired; `null` deletes) and PUT (replace), both
 * with `If-Match`. Every desired change goes through `DeviceRegistry.patchDesired`, which pushes it
 * to the connected device.
 */
import { etagMatches, bumpTwin } from './identity.js';
import { NEVER } from './device-json.js';
import type { DeviceRegistry } from './registry.js';
import { done, fail, type ServiceError, type ServiceResult } from './service-errors.js';
import { mergePatch } from './twin.js';
import type { DeviceAuth, DeviceRecord } from './types.js';

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

function side(doc: Doc & { $version: number }, updated: string) {
  return { ...doc, $metadata: { $lastUpdated: updated }, $version: doc.$version };
}

const AUTH_TYPE: Record<DeviceAuth['type'], string> = {
  sas: 'sas',
  'x509-thumbprint': 'selfSigned',
  'x509-ca': 'certificateAuthority',
  none: 'none',
};

/** The twin JSON IoT Hub returns for GET /twins/{id}. */
export function twinJson(reg: DeviceRegistry, r: DeviceRecord) {
  const i = r.identity;
  const m = r.twinMeta;
  const a = r.spec.auth;
  return {
    deviceId: r.spec.id,
    etag: m.etag,
    deviceEtag: i.etag,
    status: i.status,
    statusReason: i.statusReason ?? null,
    statusUpdateTime: i.statusUpdatedTime,
    connectionState: reg.links.get(r.spec.id) ? 'Connected' : 'Disconnected',
    lastActivityTime: r.lastActivity ?? NEVER,
    cloudToDeviceMessageCount: 0,
    authenticationType: AUTH_TYPE[a.type],
    x509Thumbprint: {
      primaryThumbprint: a.type === 'x509-thumbprint' ? a.primaryThumbprint : null,
      secondaryThumbprint: a.type === 'x509-thumbprint' ? (a.secondaryThumbprint ?? null) : null,
    },
    modelId: '',
    version: m.version,
    tags: m.tags,
    properties: {
      desired: side(r.twin.desired, m.desiredUpdated),
      reported: side(r.twin.reported, m.reportedUpdated),
    },
    capabilities: { iotEdge: i.iotEdge },
    ...(i.deviceScope ? { deviceScope: i.deviceScope } : {}),
    parentScopes: i.parentScopes,
  };
}

export type TwinJson = ReturnType<typeof twinJson>;

function located(reg: DeviceRegistry, id: string, ifMatch: string | undefined): DeviceRecord | ServiceError {
  const r = reg.get(id);
  if (!r) return fail('DeviceNotFound', `Device ${id} not registered`);
  if (!etagMatches(ifMatch, r.twinMeta.etag))
    return fail('PreconditionFailed', `Precondition failed: the etag does not match the twin of ${id}`);
  return r;
}

export function getTwin(reg: DeviceRegistry, id: string): ServiceResult<TwinJson> {
  const r = reg.get(id);
  return r ? done(twinJson(reg, r), 200, r.twinMeta.etag) : fail('DeviceNotFound', `Device ${id} not registered`);
}

interface TwinWrite {
  tags?: Doc | null;
  desired?: Doc;
}

/** Reads a twin body: tags and properties.desired only (reported properties are the device's). */
function readTwin(body: unknown): TwinWrite | ServiceError {
  if (!isDoc(body)) return fail('ArgumentInvalid', 'the request body must be a twin JSON object');
  const props = body.properties;
  if (props !== undefined && props !== null && !isDoc(props))
    return fail('ArgumentInvalid', 'properties must be an object');
  if (isDoc(props) && props.reported !== undefined && props.reported !== null)
    return fail('ArgumentInvalid', 'reported properties cannot be written by the service');
  const desired = isDoc(props) ? props.desired : undefined;
  if (desired !== undefined && desired !== null && !isDoc(desired))
    return fail('ArgumentInvalid', 'properties.desired must be an object');
  if (body.tags !== undefined && body.tags !== null && !isDoc(body.tags))
    return fail('ArgumentInvalid', 'tags must be an object');
  return { ...(body.tags !== undefined ? { tags: body.tags as Doc | null } : {}), ...(isDoc(desired) ? { desired } : {}) };
}

/** The merge patch that turns `from` into `to` (removed keys become null), `$` keys left out. */
function replacement(from: Doc, to: Doc): Doc {
  const patch: Doc = {};
  for (const k of Object.keys(from)) if (!k.startsWith('$') && !(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) if (!k.startsWith('$')) patch[k] = v;
  return patch;
}

function write(reg: DeviceRegistry, r: DeviceRecord, tags: Doc | undefined, desired: Doc | undefined) {
  if (desired && Object.keys(desired).some((k) => !k.startsWith('$'))) reg.patchDesired(r.spec.id, desired);
  if (tags) {
    r.twinMeta.tags = tags;
    bumpTwin(r.twinMeta);
  }
  return done(twinJson(reg, r), 200, r.twinMeta.etag);
}

/** PATCH /twins/{id}: tags and desired merged (`null` deletes), each desired change pushed to the device. */
export function patchTwinApi(
  reg: DeviceRegistry,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): ServiceResult<TwinJson> {
  const w = readTwin(body);
  if ('ok' in w) return w;
  const r = located(reg, id, ifMatch);
  if ('ok' in r) return r;
  const tags = w.tags === undefined ? undefined : w.tags === null ? {} : mergePatch(r.twinMeta.tags, w.tags);
  return write(reg, r, tags, w.desired);
}

/** PUT /twins/{id}: tags and desired replaced; the device gets the difference as a desired patch. */
export function replaceTwinApi(
  reg: DeviceRegistry,
  id: string,
  body: unknown,
  ifMatch: string | undefined,
): ServiceResult<TwinJson> {
  const w = readTwin(body);
  if ('ok' in w) return w;
  const r = located(reg, id, ifMatch);
  if ('ok' in r) return r;
  const tags = mergePatch({}, w.tags ?? {});
  return write(reg, r, tags, replacement(r.twin.desired, w.desired ?? {}));
}
