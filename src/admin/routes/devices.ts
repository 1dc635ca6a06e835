/**
 * The cloud side for a bench without a service SDK: list, add and remove devices, patch desired
 * properties, call direct methods, send cloud-to-device messages and read recent telemetry. Every
 * act goes through the hub core (runtime.devices), so it reaches the device on whatever transport it uses.
 */
import crypto from 'node:crypto';
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import type { DeviceRecord, DeviceRegistry, DeviceView } from '../../core/registry.js';
import type { DeviceAuth } from '../../core/types.js';
import { normalizeThumbprint } from '../../core/types.js';
import { notice } from '../../runtime/notice.js';
import { ApiError } from '../errors.js';
import { isHubtlsError } from '../../errors.js';
import type { AdminContext, RouteModule } from '../context.js';
import { Ok } from '../schemas.js';
import {
  C2dBody,
  C2dResult,
  CreatedDevice,
  DeletedDevice,
  DesiredPatch,
  DesiredResult,
  DeviceDetail,
  DeviceIdParams,
  DeviceSummary,
  MethodAnswer,
  MethodBody,
  MethodParams,
  NewDeviceBody,
  TelemetryList,
  TelemetryQuery,
  type C2dResultT,
  type DeviceSummaryT,
  type NewDeviceT,
} from '../device-schemas.js';

/** How many known ids an unknown-device error names. */
const IDS_SHOWN = 10;

function unknownDevice(devices: DeviceRegistry, id: string): ApiError {
  const ids = devices.list().map((d) => d.id);
  const shown = ids.slice(0, IDS_SHOWN).join(', ') + (ids.length > IDS_SHOWN ? `, … (${ids.length} in all)` : '');
  return new ApiError(
    404,
    'HUBTLS_UNKNOWN_DEVICE',
    `no device "${id}" in the registry; ${ids.length ? `known: ${shown}` : 'the registry is empty'}`,
    'add it with POST /devices, under devices: in the scenario, or provision it through DPS',
  );
}

function needDevice(devices: DeviceRegistry, id: string): DeviceRecord {
  const rec = devices.get(id);
  if (!rec) throw unknownDevice(devices, id);
  return rec;
}

function summary(devices: DeviceRegistry, view: DeviceView): DeviceSummaryT {
  const { twin, ...rest } = view;
  const transport = devices.links.get(view.id)?.transport;
  return {
    ...rest,
    ...(transport ? { transport } : {}),
    twinVersions: { desired: twin.desired.$version, reported: twin.reported.$version },
  };
}

function detail(devices: DeviceRegistry, rec: DeviceRecord) {
  const view = devices.view(rec);
  return { ...summary(devices, view), twin: view.twin };
}

const newKey = () => crypto.randomBytes(32).toString('base64');

function checkKey(name: string, key: string | undefined): void {
  const bytes = key === undefined ? 32 : Buffer.from(key, 'base64').length;
  if (bytes < 16 || bytes > 64)
    throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', `${name} is ${bytes} bytes; IoT Hub takes 16 to 64`);
}

/** The authentication to register: given keys and thumbprints (normalized), generated ones where left out. */
async function authOf(ctx: AdminContext, b: NewDeviceT): Promise<DeviceAuth> {
  const a = b.auth;
  if (a.type === 'x509-ca') return a;
  if (a.type === 'sas') {
    checkKey('primaryKey', a.primaryKey);
    checkKey('secondaryKey', a.secondaryKey);
    return { type: 'sas', primaryKey: a.primaryKey ?? newKey(), secondaryKey: a.secondaryKey ?? newKey() };
  }
  const primary =
    a.primaryThumbprint ??
    (await ctx.runtime.pki.deviceCert(b.id, { signer: 'self', validAt: ctx.runtime.clock.now() })).fingerprint256;
  return {
    type: 'x509-thumbprint',
    primaryThumbprint: normalizeThumbprint(primary),
    ...(a.secondaryThumbprint ? { secondaryThumbprint: normalizeThumbprint(a.secondaryThumbprint) } : {}),
  };
}

async function addDevice(ctx: AdminContext, b: NewDeviceT) {
  const devices = ctx.runtime.devices;
  if (devices.get(b.id))
    throw new ApiError(409, 'HUBTLS_DEVICE_EXISTS', `device "${b.id}" is already in the registry`, 'DELETE it first');
  const auth = await authOf(ctx, b);
  const { type: _type, ...credentials } = auth;
  const rec = devices.upsert({ id: b.id, auth }, 'admin');
  notice(ctx.runtime.bus, 'device-added', `device ${b.id} (${auth.type}) added through the admin API`, {
    deviceId: b.id,
  });
  return { ...detail(devices, rec), credentials };
}

function removeDevice(ctx: AdminContext, id: string) {
  const devices = ctx.runtime.devices;
  needDevice(devices, id);
  const disconnected = devices.links.get(id) !== undefined;
  devices.remove(id);
  notice(ctx.runtime.bus, 'device-removed', `device ${id} removed through the admin API`, {
    deviceId: id,
    disconnected,
  });
  return { id, deleted: true as const, disconnected };
}

/** A desired patch is versioned even when no device hears it: the notice lets viewers see the new version. */
function patchDesired(ctx: AdminContext, id: string, patch: Record<string, unknown>) {
  needDevice(ctx.runtime.devices, id);
  const r = ctx.runtime.devices.patchDesired(id, patch);
  notice(ctx.runtime.bus, 'desired-patch', `desired properties of ${id} are now version ${r.version}`, {
    deviceId: id,
    ...r,
  });
  return r;
}

async function callMethod(devices: DeviceRegistry, id: string, name: string, b: Static<typeof MethodBody>) {
  needDevice(devices, id);
  const offline = (why: string) =>
    new ApiError(404, 'HUBTLS_DEVICE_OFFLINE', `device "${id}" ${why} (IoT Hub: 404103)`, 'connect the device first');
  if (!devices.links.get(id)) throw offline('is not connected');
  const r = await devices.links.invoke(id, name, b.payload ?? null, (b.timeoutSeconds ?? 30) * 1000);
  // `failed` marks the hub's own answers: a device may itself answer 404 or 504, and that is its answer.
  if (r.failed === 'offline') throw offline('is not subscribed to direct methods');
  if (r.failed === 'timeout')
    throw new ApiError(
      504,
      'HUBTLS_METHOD_TIMEOUT',
      `device "${id}" did not answer method "${name}" within ${b.timeoutSeconds ?? 30} s (IoT Hub: 504101)`,
      'raise timeoutSeconds, or check that the device answers on $iothub/methods/res/',
    );
  return r;
}

function sendC2D(devices: DeviceRegistry, id: string, b: Static<typeof C2dBody>): C2dResultT {
  needDevice(devices, id);
  if (b.base64 && !/^[A-Za-z0-9+/]*={0,2}$/.test(b.body))
    throw new ApiError(400, 'HUBTLS_ADMIN_BAD_REQUEST', 'body is not base64, but "base64": true says it is');
  const body = b.base64 ? Buffer.from(b.body, 'base64') : b.body;
  const messageId = crypto.randomUUID();
  try {
    return devices.sendC2D(id, body, { ...b.properties, '$.mid': messageId });
  } catch (e) {
    // The device's queue is at IoT Hub's depth limit (403004): the bench must let the device drain it.
    if (isHubtlsError(e) && e.code === 'HUBTLS_C2D_QUEUE_FULL') throw new ApiError(403, e.code, e.message, e.hint);
    throw e;
  }
}

function telemetry(ctx: AdminContext, id: string, limit = 20) {
  const rec = needDevice(ctx.runtime.devices, id);
  const messages = ctx.runtime.devices.telemetry(id).slice(-limit).reverse();
  return { deviceId: id, now: ctx.runtime.clock.now().toISOString(), total: rec.telemetryCount, messages };
}

type Id = { Params: Static<typeof DeviceIdParams> };

/** Every device route is tagged `devices` and answers errors with the one error shape. */
const route = (summary: string, response: TSchema, extra: object = {}) => ({
  schema: { summary, tags: ['devices'], response: Ok(response), ...extra },
});
/** A route on one device: its id is the path parameter. */
const schema = (summary: string, response: TSchema, extra: object = {}) =>
  route(summary, response, { params: DeviceIdParams, ...extra });

export const deviceRoutes: RouteModule = (app, ctx) => {
  // Read at each request: a reload may give the runtime a new registry.
  const reg = () => ctx.runtime.devices;
  app.get(
    '/devices',
    route('the device registry: connected, transport, telemetry, twin versions', Type.Array(DeviceSummary)),
    async () =>
      reg()
        .list()
        .map((v) => summary(reg(), v)),
  );
  app.get<Id>('/devices/:id', schema('one device, with its twin', DeviceDetail), async (req) =>
    detail(reg(), needDevice(reg(), req.params.id)),
  );
  app.post<{ Body: NewDeviceT }>(
    '/devices',
    route('add a device (keys generated when left out); 409 if the id exists', CreatedDevice, {
      body: NewDeviceBody,
      response: { ...Ok(CreatedDevice), 201: CreatedDevice },
    }),
    async (req, reply) => reply.code(201).send(await addDevice(ctx, req.body)),
  );
  app.delete<Id>('/devices/:id', schema('remove a device; its live connection is closed', DeletedDevice), async (req) =>
    removeDevice(ctx, req.params.id),
  );
  app.patch<Id & { Body: Static<typeof DesiredPatch> }>(
    '/devices/:id/twin/desired',
    schema('patch desired properties (null deletes); pushed to the connected device', DesiredResult, {
      body: DesiredPatch,
    }),
    async (req) => patchDesired(ctx, req.params.id, req.body),
  );
  app.post<{ Params: Static<typeof MethodParams>; Body: Static<typeof MethodBody> }>(
    '/devices/:id/methods/:name',
    schema("call a direct method: the device's status and payload (404 offline, 504 no answer in time)", MethodAnswer, {
      params: MethodParams,
      body: MethodBody,
    }),
    (req) => callMethod(reg(), req.params.id, req.params.name, req.body ?? {}),
  );
  app.post<Id & { Body: Static<typeof C2dBody> }>(
    '/devices/:id/c2d',
    schema('send a cloud-to-device message with application properties', C2dResult, { body: C2dBody }),
    async (req) => sendC2D(reg(), req.params.id, req.body),
  );
  app.get<Id & { Querystring: Static<typeof TelemetryQuery> }>(
    '/devices/:id/telemetry',
    schema('recent telemetry of a device, newest first', TelemetryList, { querystring: TelemetryQuery }),
    async (req) => telemetry(ctx, req.params.id, req.query.limit),
  );
};
