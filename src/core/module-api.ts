/**
 * Module identities as IoT Hub's service API manages them: `/devices/{d}/modules/{m}` create /
 * update (etags) / get / delete, the device's module list, module twins (`/twins/{d}/modules/{m}`)
 * and module direct methods. A module connects as `{d}/{m}` (its link id, see links.ts).
 */
import { authJson, NEVER, readAuth, validId } from './device-json.js';
import { bumpTwin, deviceEtag, etagMatches } from './identity.js';
import { moduleLinkId } from './links.js';
import { newModuleRecord } from './module-record.js';
import { invokeOnLink, readMethodCall } from './method-api.js';
import type { DeviceRegistry } from './registry.js';
import { done, fail, type ServiceError, type ServiceResult } from './service-errors.js';
import { patchTwin } from './twin.js';
import { AUTH_TYPE, side, type TwinTarget } from './twin-api.js';
import type { DeviceRecord, ModuleRecord } from './types.js';

type Doc = Record<string, unknown>;

function device(reg: DeviceRegistry, d: string): DeviceRecord | ServiceError {
  return reg.get(d) ?? fail('DeviceNotFound', `Device ${d} not registered`);
}

function located(reg: DeviceRegistry, d: string, m: string): ModuleRecord | ServiceError {
  const dev = device(reg, d);
  if ('ok' in dev) return dev;
  return dev.modules.get(m) ?? fail('ModuleNotFound', `Module ${m} on device ${d} not registered`);
}

const connected = (reg: DeviceRegistry, r: ModuleRecord) => !!reg.links.get(moduleLinkId(r.deviceId, r.moduleId));

export function moduleJson(reg: DeviceRegistry, r: ModuleRecord) {
  return {
    moduleId: r.moduleId,
    managedBy: r.managedBy ?? null,
    deviceId: r.deviceId,
    generationId: r.generationId,
    etag: r.etag,
    connectionState: connected(reg, r) ? 'Connected' : 'Disconnected',
    connectionStateUpdatedTime: reg.links.stateUpdated(moduleLinkId(r.deviceId, r.moduleId)) ?? NEVER,
    lastActivityTime: r.lastActivity ?? NEVER,
    cloudToDeviceMessageCount: 0,
    authentication: authJson(r.auth),
  };
}

export type ModuleJson = ReturnType<typeof moduleJson>;

function readModule(body: unknown, d: string, m: string): Pick<ModuleRecord, 'auth' | 'managedBy'> | ServiceError {
  if (!validId(m)) return fail('ArgumentInvalid', `invalid module id '${m}'`);
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('ArgumentInvalid', 'the request body must be a module JSON object');
  const b = body as Doc;
  if ((b.moduleId !== undefined && b.moduleId !== m) || (b.deviceId !== undefined && b.deviceId !== d))
    return fail('ArgumentInvalid', `moduleId / deviceId in the body do not match '${d}/${m}'`);
  const auth = readAuth(b.authentication);
  if (typeof auth === 'string') return fail('ArgumentInvalid', auth);
  return { auth, ...(typeof b.managedBy === 'string' ? { managedBy: b.managedBy } : {}) };
}

/** PUT /devices/{d}/modules/{m}: create without If-Match (409301 if it exists), update with a matching one. */
export function putModule(
  reg: DeviceRegistry,
  ids: { d: string; m: string },
  body: unknown,
  ifMatch: string | undefined,
  now: Date,
): ServiceResult<ModuleJson> {
  const dev = device(reg, ids.d);
  if ('ok' in dev) return dev;
  const w = readModule(body, ids.d, ids.m);
  if ('ok' in w) return w;
  const old = dev.modules.get(ids.m);
  if (!old && ifMatch !== undefined) return fail('ModuleNotFound', `Module ${ids.m} on device ${ids.d} not registered`);
  if (old && ifMatch === undefined)
    return fail('ModuleAlreadyExistsOnDevice', `A module with ID '${ids.m}' already exists on device '${ids.d}'`);
  if (old && !etagMatches(ifMatch, old.etag)) return fail('PreconditionFailed', 'Precondition failed: etag mismatch');
  const rec: ModuleRecord = old ? { ...old, ...w, etag: deviceEtag() } : newModuleRecord(ids.d, ids.m, w, now);
  dev.modules.set(ids.m, rec);
  return done(moduleJson(reg, rec), 200, rec.etag);
}

export function getModule(reg: DeviceRegistry, d: string, m: string): ServiceResult<ModuleJson> {
  const r = located(reg, d, m);
  return 'ok' in r ? r : done(moduleJson(reg, r), 200, r.etag);
}

export function listModules(reg: DeviceRegistry, d: string): ServiceResult<ModuleJson[]> {
  const dev = device(reg, d);
  return 'ok' in dev ? dev : done([...dev.modules.values()].map((r) => moduleJson(reg, r)));
}

export function deleteModule(reg: DeviceRegistry, d: string, m: string, ifMatch: string | undefined) {
  const r = located(reg, d, m);
  if ('ok' in r) return r;
  if (!etagMatches(ifMatch, r.etag)) return fail('PreconditionFailed', 'Precondition failed: etag mismatch');
  reg.links.get(moduleLinkId(d, m))?.close(`module ${d}/${m} was deleted from the registry`);
  reg.get(d)!.modules.delete(m);
  return done(undefined, 204);
}

/** A module's twin JSON (GET /twins/{d}/modules/{m}, and the rows of `FROM devices.modules`). */
export function moduleTwinJson(reg: DeviceRegistry, r: ModuleRecord) {
  const dev = reg.get(r.deviceId)!;
  return {
    deviceId: r.deviceId,
    moduleId: r.moduleId,
    etag: r.twinMeta.etag,
    deviceEtag: r.etag,
    status: dev.identity.status,
    statusUpdateTime: dev.identity.statusUpdatedTime,
    connectionState: connected(reg, r) ? 'Connected' : 'Disconnected',
    lastActivityTime: r.lastActivity ?? NEVER,
    cloudToDeviceMessageCount: 0,
    authenticationType: AUTH_TYPE[r.auth.type],
    modelId: '',
    version: r.twinMeta.version,
    tags: r.twinMeta.tags,
    properties: {
      desired: side(r.twin.desired, r.twinMeta.desiredUpdated),
      reported: side(r.twin.reported, r.twinMeta.reportedUpdated),
    },
  };
}

/** A module's twin as a target of the twin PATCH / PUT operations; desired patches go to its link. */
export function moduleTarget(reg: DeviceRegistry, d: string, m: string, now: Date): TwinTarget | ServiceError {
  const r = located(reg, d, m);
  if ('ok' in r) return r;
  return {
    twin: r.twin,
    meta: r.twinMeta,
    patchDesired: (patch) => {
      bumpTwin(r.twinMeta);
      r.twinMeta.desiredUpdated = now.toISOString();
      const version = patchTwin(r.twin, 'desired', patch);
      reg.links.get(moduleLinkId(d, m))?.desired({ ...patch, $version: version });
    },
    json: () => moduleTwinJson(reg, r),
  };
}

export function getModuleTwin(reg: DeviceRegistry, d: string, m: string): ServiceResult<Doc> {
  const r = located(reg, d, m);
  return 'ok' in r ? r : done(moduleTwinJson(reg, r), 200, r.twinMeta.etag);
}

/** A module's reported-properties patch (from its own connection); returns the new reported $version. */
export function patchModuleReported(r: ModuleRecord, patch: Doc, now: Date): number {
  bumpTwin(r.twinMeta);
  r.twinMeta.reportedUpdated = now.toISOString();
  return patchTwin(r.twin, 'reported', patch);
}

/** POST /twins/{d}/modules/{m}/methods: as for devices, through the module's link. */
export async function invokeModuleMethod(
  reg: DeviceRegistry,
  d: string,
  m: string,
  body: unknown,
): Promise<ServiceResult<{ status: number; payload: unknown }>> {
  const call = readMethodCall(body);
  if ('ok' in call) return call;
  const r = located(reg, d, m);
  if ('ok' in r) return r;
  return invokeOnLink(reg, moduleLinkId(d, m), call, `module ${d}/${m}`);
}
