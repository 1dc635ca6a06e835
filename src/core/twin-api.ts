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
import type { DeviceAuth, DeviceRecord, TwinMeta, TwinState } from './types.js';

type Doc = Record<string, unknown>;
const isDoc = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export function side(doc: Doc & { $version: number }, updated: string) {
  return { ...doc, $metadata: { $lastUpdated: updated }, $version: doc.$version };
}

export const AUTH_TYPE: Record<DeviceAuth['type'], string> = {
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

/** A twin the service API can change: a device's or a module's. */
export interface TwinTarget {
  twin: TwinState;
  meta: TwinMeta;
  /** Applies a desired patch (versioned) and pushes it to the connected device or module. */
  patchDesired(patch: Doc): void;
  json(): Doc;
}

export function deviceTarget(reg: DeviceRegistry, id: string): TwinTarget | ServiceError {
  const r = reg.get(id);
  if (!r) return fail('DeviceNotFound', `Device ${id} not registered`);
  return {
    twin: r.twin,
    meta: r.twinMeta,
    patchDesired: (patch) => reg.patchDesired(id, patch),
    json: () => twinJson(reg, r),
  };
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
  return {
    ...(body.tags !== undefined ? { tags: body.tags as Doc | null } : {}),
    ...(isDoc(desired) ? { desired } : {}),
  };
}

/** The merge patch that turns `from` into `to` (removed keys become null), `$` keys left out. */
function replacement(from: Doc, to: Doc): Doc {
  const patch: Doc = {};
  for (const k of Object.keys(from)) if (!k.startsWith('$') && !(k in to)) patch[k] = null;
  for (const [k, v] of Object.entries(to)) if (!k.startsWith('$')) patch[k] = v;
  return patch;
}

function write(t: TwinTarget, tags: Doc | undefined, desired: Doc | undefined): ServiceResult<Doc> {
  const pushing = !!desired && Object.keys(desired).some((k) => !k.startsWith('$'));
  if (pushing) t.patchDesired(desired);
  if (tags) {
    t.meta.tags = tags;
    if (!pushing) bumpTwin(t.meta); // one write, one new twin version
  }
  return done(t.json(), 200, t.meta.etag);
}

function resolved(t: TwinTarget | ServiceError, ifMatch: string | undefined): TwinTarget | ServiceError {
  if ('ok' in t) return t;
  return etagMatches(ifMatch, t.meta.etag)
    ? t
    : fail('PreconditionFailed', 'Precondition failed: the etag does not match the twin');
}

/** PATCH /twins/{id}[/modules/{m}]: tags and desired merged (`null` deletes), desired changes pushed. */
export function patchTwinApi(
  target: TwinTarget | ServiceError,
  body: unknown,
  ifMatch: string | undefined,
): ServiceResult<Doc> {
  const w = readTwin(body);
  if ('ok' in w) return w;
  const t = resolved(target, ifMatch);
  if ('ok' in t) return t;
  const tags = w.tags === undefined ? undefined : w.tags === null ? {} : mergePatch(t.meta.tags, w.tags);
  return write(t, tags, w.desired);
}

/** PUT /twins/{id}[/modules/{m}]: tags and desired replaced; the device gets the difference as a desired patch. */
export function replaceTwinApi(
  target: TwinTarget | ServiceError,
  body: unknown,
  ifMatch: string | undefined,
): ServiceResult<Doc> {
  const w = readTwin(body);
  if ('ok' in w) return w;
  const t = resolved(target, ifMatch);
  if ('ok' in t) return t;
  return write(t, mergePatch({}, w.tags ?? {}), replacement(t.twin.desired, w.desired ?? {}));
}
