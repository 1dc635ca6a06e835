/**
 * HTTPS responder for the device-facing REST calls the device SDKs make, on Node's http parser over
 * the decrypted stream. IoT Hub: telemetry `POST /devices/{id}/messages/events`, cloud-to-device
 * poll and settle `…/messages/devicebound…` (https-c2d.ts); the service REST API (service/router.ts).
 * DPS: `PUT /{idScope}/registrations/{id}/register`
 * (202 + retry-after) and `GET …/operations/{operationId}` (200 assigned). WebSocket upgrades on
 * `/$iothub/websocket` (MQTT inside, websocket/). Every request is
 * authenticated: SAS in `Authorization`, or the certificate sent in the TLS handshake; refusals are
 * 401 with Azure's error code (401002 X.509 / unknown identity, 401003 SAS).
 */
import crypto from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { authenticateDevice, type AuthVerdict } from '../core/auth.js';
import { hostMatches } from '../tls/policy/route.js';
import { bodyText } from './mqtt/topics.js';
import { clip, publishSession, type SessionFields } from './events.js';
import { defineAfterMode, type SessionContext } from './types.js';
import { compileDpsOptions, DPS_DEFAULTS, DpsOptions, type DpsSettings } from './dps-options.js';
import { watchSilentClose } from './silent-close.js';
import { deviceBound, type C2DCall } from './https-c2d.js';
import { inbandFault, refusal, resetAfterFlush, type InbandRefusal } from './inband-faults.js';
import { isServiceRequest, serviceRoute } from './service/router.js';
import { websocketUpgrades } from './websocket/upgrade.js';

/** IoT Hub's device-to-cloud message size limit. */
export const MAX_BODY = 256 * 1024;

type Refusal = Extract<AuthVerdict, { ok: false }>;

interface Call {
  ctx: SessionContext;
  dps: DpsSettings;
  req: http.IncomingMessage;
  res: http.ServerResponse;
  path: string[];
  query: URLSearchParams;
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
  res.end(text);
}

function azureError(errorCode: number, message: string) {
  return {
    errorCode,
    trackingId: crypto.randomUUID().replace(/-/g, ''),
    message,
    timestampUtc: new Date().toISOString(),
  };
}

function event(c: Call, fields: SessionFields): void {
  publishSession(c.ctx, 'https', { ...fields, detail: { method: c.req.method, path: c.req.url, ...fields.detail } });
}

function unauthorized(c: Call, v: Refusal, who: { deviceId?: string; registrationId?: string }): void {
  const hub = c.ctx.endpoint.kind === 'iothub';
  json(
    c.res,
    401,
    azureError(v.errorCode, v.reason),
    hub ? { 'iothub-errorcode': v.errorCode === 401003 ? 'IotHubUnauthorized' : 'IotHubUnauthorizedAccess' } : {},
  );
  event(c, {
    action: 'request',
    ok: false,
    status: 401,
    outcome: v.outcome,
    errorCode: v.errorCode,
    reason: v.reason,
    ...who,
  });
}

function notFound(c: Call): void {
  json(
    c.res,
    404,
    azureError(
      404000,
      `no such ${c.ctx.endpoint.kind === 'dps' ? 'DPS' : 'IoT Hub'} device API: ${c.req.method} ${c.req.url}`,
    ),
  );
  event(c, { action: 'request', ok: false, status: 404, reason: `unknown route ${c.req.method} ${c.req.url}` });
}

function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_BODY) chunks.push(b);
    });
    req.on('end', () => resolve(size > MAX_BODY ? undefined : Buffer.concat(chunks)));
    req.on('error', () => resolve(undefined));
  });
}

/** The hub the device means: the Host header when it names this hub, else the host in its SAS resource (device dialled an IP). */
function hubHostOf(c: Call): string {
  const host = (c.req.headers.host ?? '').replace(/:\d+$/, '');
  if (c.ctx.endpoint.hostnames.some((h) => hostMatches(h, host))) return host;
  const sr = /sr=([^&]+)/.exec(c.req.headers.authorization ?? '')?.[1];
  return (sr && safeDecode(sr).split('/')[0]) || host;
}

function safeDecode(v: string): string {
  try {
    return decodeURIComponent(v);
  } catch {
    return v;
  }
}

function hubAuth(c: Call, deviceId: string): AuthVerdict {
  return authenticateDevice(c.ctx.devices, {
    deviceId,
    hubHost: hubHostOf(c),
    sas: c.req.headers.authorization,
    peerCert: c.ctx.established.peerCert,
    now: c.ctx.now(),
  });
}

function telemetryProperties(h: http.IncomingHttpHeaders): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) {
    if (k.startsWith('iothub-app-')) props[k.slice('iothub-app-'.length)] = String(v);
    if (k === 'iothub-contenttype') props['$.ct'] = String(v);
    if (k === 'iothub-contentencoding') props['$.ce'] = String(v);
    if (k === 'iothub-messageid') props['$.mid'] = String(v);
  }
  return props;
}

async function hubRoute(c: Call): Promise<void> {
  if (isServiceRequest(c.path)) return serviceRoute(c.ctx, c.req, c.res, c.path, hubHostOf(c));
  const [devices, id, messages, what] = c.path;
  if (devices !== 'devices' || !id || messages !== 'messages' || !what) return notFound(c);
  const deviceId = safeDecode(id);
  const v = hubAuth(c, deviceId);
  if (!v.ok) return unauthorized(c, v, { deviceId });
  const r = refusal(c.ctx.devices, deviceId);
  if (r) return inbandRefused(c, r, deviceId);
  if (c.req.method === 'POST' && what === 'events') return telemetry(c, deviceId);
  if (what.toLowerCase() === 'devicebound' && deviceBound(c2dCall(c, deviceId))) return;
  notFound(c);
}

/** A refusal window of an in-band fault (inband-faults.ts) is in force for the device. */
function inbandRefused(c: Call, r: InbandRefusal, deviceId: string): void {
  const reason = `in-band fault ${r.type} in force for ${deviceId} until ${new Date(r.until).toISOString()}`;
  json(c.res, r.http.status, azureError(r.http.errorCode, reason), { 'iothub-errorcode': r.http.code });
  event(c, { action: 'request', ok: false, status: r.http.status, errorCode: r.http.errorCode, deviceId, reason });
}

function c2dCall(c: Call, deviceId: string): C2DCall {
  return {
    method: c.req.method ?? 'GET',
    deviceId,
    rest: c.path.slice(4),
    query: c.query,
    queues: c.ctx.devices.c2d,
    reply: (status: number, body: Buffer | undefined, headers: Record<string, string> = {}) => {
      c.res.writeHead(status, body ? { 'content-type': 'application/octet-stream', ...headers } : headers);
      c.res.end(body);
    },
    error: (status: number, errorCode: number, code: string, message: string) =>
      json(c.res, status, azureError(errorCode, message), { 'iothub-errorcode': code }),
    event: (fields: SessionFields) => event(c, { deviceId, ...fields }),
  };
}

async function telemetry(c: Call, deviceId: string): Promise<void> {
  const payload = await readBody(c.req);
  if (!payload) {
    json(c.res, 413, azureError(413002, `message larger than ${MAX_BODY} bytes`));
    return event(c, {
      action: 'telemetry',
      ok: false,
      status: 413,
      deviceId,
      reason: `telemetry from ${deviceId} over ${MAX_BODY} bytes`,
    });
  }
  const properties = telemetryProperties(c.req.headers);
  const { body, base64 } = bodyText(payload);
  c.ctx.devices.recordTelemetry(deviceId, {
    at: c.ctx.now().toISOString(),
    protocol: 'https',
    properties,
    body,
    ...(base64 ? { base64 } : {}),
    bytes: payload.length,
  });
  json(c.res, 204, undefined);
  event(c, {
    action: 'telemetry',
    ok: true,
    status: 204,
    deviceId,
    reason: `${payload.length} bytes of telemetry from ${deviceId}`,
    detail: { bytes: payload.length, properties, body: clip(body) },
  });
  // Over HTTPS a refusal window needs no act now: the next requests are refused (see hubRoute).
  inbandFault(c.ctx, deviceId, properties, { protocol: 'https', kill: () => resetAfterFlush(c.ctx) });
}

async function dpsRoute(c: Call): Promise<void> {
  const [idScope, registrations, rawId, op, operationId] = c.path;
  if (!idScope || registrations !== 'registrations' || !rawId) return notFound(c);
  const registrationId = safeDecode(rawId);
  const register = c.req.method === 'PUT' && op === 'register' && c.path.length === 4;
  const status = c.req.method === 'GET' && op === 'operations' && !!operationId && c.path.length === 5;
  if (!register && !status) return notFound(c);
  const body = await readBody(c.req);
  const v = c.ctx.devices.dps.attest({
    registrationId,
    idScope,
    sas: c.req.headers.authorization,
    peerCert: c.ctx.established.peerCert,
    now: c.ctx.now(),
  });
  if (!v.ok) return unauthorized(c, v, { registrationId });
  if (register) return dpsRegister(c, v, body);
  dpsStatus(c, registrationId, operationId!);
}

function dpsStatus(c: Call, registrationId: string, operationId: string): void {
  const found = c.ctx.devices.dps.status(registrationId, operationId);
  if (!found) {
    json(c.res, 404, azureError(404002, `operation '${operationId}' not found for registration '${registrationId}'`));
    return event(c, {
      action: 'dps-status',
      ok: false,
      status: 404,
      registrationId,
      reason: `unknown operation ${operationId}`,
    });
  }
  const st = found.registrationState!;
  json(c.res, 200, { operationId: found.operationId, status: found.status, registrationState: st });
  event(c, {
    action: 'dps-status',
    ok: true,
    status: 200,
    registrationId,
    deviceId: st.deviceId,
    reason: `registration ${registrationId} assigned to ${st.assignedHub} as device ${st.deviceId}`,
    detail: { assignedHub: st.assignedHub },
  });
}

function dpsRegister(
  c: Call,
  attested: Parameters<SessionContext['devices']['dps']['register']>[0],
  body: Buffer | undefined,
): void {
  let payload: unknown;
  try {
    payload = (JSON.parse(body?.toString('utf8') || '{}') as { payload?: unknown }).payload;
  } catch {
    payload = undefined;
  }
  const op = c.ctx.devices.dps.register(attested, payload);
  const retryAfter = String(c.dps.retryAfterSeconds);
  json(c.res, 202, { operationId: op.operationId, status: op.status }, { 'retry-after': retryAfter });
  event(c, {
    action: 'dps-register',
    ok: true,
    status: 202,
    registrationId: op.registrationId,
    reason: `registration ${op.registrationId} accepted, operation ${op.operationId} assigning (retry-after ${retryAfter})`,
    detail: { operationId: op.operationId },
  });
}

function handle(ctx: SessionContext, dps: DpsSettings, req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'https://device.invalid');
  const path = url.pathname.split('/').filter((s) => s.length > 0);
  const c: Call = { ctx, dps, req, res, path, query: url.searchParams };
  const route = ctx.endpoint.kind === 'dps' ? dpsRoute : hubRoute;
  route(c).catch((e: unknown) => {
    if (!res.headersSent) json(res, 500, azureError(500001, (e as Error).message));
  });
}

export const httpsMode = defineAfterMode({
  name: 'https',
  description:
    'HTTPS responder for the device REST API: IoT Hub telemetry POST, DPS register / operation status; ' +
    'per-request SAS or X.509 auth; the service REST API; MQTT over WebSockets on /$iothub/websocket',
  options: DpsOptions,
  defaults: DPS_DEFAULTS,
  compile: compileDpsOptions,
  start(ctx, dps) {
    const watch = watchSilentClose(ctx, 'https');
    const server = http.createServer({ keepAlive: true }, (req, res) => (watch.spoke(), handle(ctx, dps, req, res)));
    server.on('clientError', (_e, socket) => (watch.spoke(), socket.destroy()));
    // MQTT (and AMQP) inside a WebSocket on /$iothub/websocket (websocket/upgrade.ts).
    const upgrade = websocketUpgrades(ctx, dps);
    server.on('upgrade', (req, socket: Duplex, head: Buffer) => (watch.spoke(), upgrade(req, socket, head)));
    server.emit('connection', ctx.established.stream);
  },
});
