/**
 * IoT Hub's service REST API on an iothub endpoint with `after: https` (api-version 2021-04-12):
 * finds the route, authorizes the request's shared access signature for the route's right through
 * the registry's policy table, reads the JSON body, runs the core operation and answers as IoT Hub.
 */
import type http from 'node:http';
import { fail, type ServiceResult } from '../../core/service-errors.js';
import { publishSession } from '../events.js';
import type { SessionContext } from '../types.js';
import { DEVICE_ROUTES } from './devices.js';
import { sendResult } from './errors.js';
import { METHOD_ROUTES } from './methods.js';
import { MODULE_ROUTES } from './modules.js';
import { QUERY_ROUTES } from './query.js';
import type { Route } from './route.js';
import { TWIN_ROUTES } from './twins.js';

/** Largest service request body read (IoT Hub's twin and bulk limits are below it). */
export const MAX_SERVICE_BODY = 1024 * 1024;

const ROUTES: Route[] = [...QUERY_ROUTES, ...DEVICE_ROUTES, ...TWIN_ROUTES, ...METHOD_ROUTES, ...MODULE_ROUTES];

/**
 * The device API is `/devices/{id}/messages/…` (and `/devices/{d}/modules/{m}/messages/…`);
 * everything else under /devices and /twins is the service's.
 */
export function isServiceRequest(path: string[]): boolean {
  if (path[0] === 'twins') return true;
  return path[0] === 'devices' && path[2] !== 'messages' && !(path[2] === 'modules' && path[4] === 'messages');
}

function match(route: Route, method: string, path: string[]): Record<string, string> | undefined {
  const want = route.path.split('/');
  if (route.method !== method || want.length !== path.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, w] of want.entries()) {
    if (w.startsWith(':')) params[w.slice(1)] = path[i]!;
    else if (w !== path[i]) return undefined;
  }
  return params;
}

function decode(v: string): string | undefined {
  try {
    return decodeURIComponent(v);
  } catch {
    return undefined;
  }
}

function readJson(req: http.IncomingMessage): Promise<{ body: unknown } | { error: string }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_SERVICE_BODY) chunks.push(b);
    });
    req.on('error', () => resolve({ error: 'the request body could not be read' }));
    req.on('end', () => {
      if (size > MAX_SERVICE_BODY) return resolve({ error: `the body is larger than ${MAX_SERVICE_BODY} bytes` });
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve({ body: text ? (JSON.parse(text) as unknown) : undefined });
      } catch {
        resolve({ error: 'the request body is not valid JSON' });
      }
    });
  });
}

async function run(
  ctx: SessionContext,
  req: http.IncomingMessage,
  route: Route,
  params: Record<string, string>,
  hubHost: string,
): Promise<ServiceResult<unknown>> {
  const auth = ctx.devices.policies.authorize(req.headers.authorization, hubHost, route.right);
  if (!auth.ok)
    return {
      ok: false,
      status: 401,
      errorCode: auth.errorCode,
      code: 'IotHubUnauthorizedAccess',
      message: auth.reason,
    };
  const read = route.body ? await readJson(req) : { body: undefined };
  if ('error' in read) return fail('ArgumentInvalid', read.error);
  const url = new URL(req.url ?? '/', 'https://hub.invalid');
  const ifMatch = req.headers['if-match'];
  return route.run({
    registry: ctx.devices,
    params,
    query: url.searchParams,
    body: read.body,
    ifMatch,
    header: (name) => {
      const v = req.headers[name];
      return Array.isArray(v) ? v[0] : v;
    },
    now: ctx.now(),
  });
}

/** Answers one service request; `path` is the URL path split on '/', `hubHost` the hub the caller means. */
export async function serviceRoute(
  ctx: SessionContext,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  path: string[],
  hubHost: string,
): Promise<void> {
  const segments = path.map(decode);
  const method = req.method ?? '';
  const found = segments.every((s) => s !== undefined)
    ? ROUTES.map((r) => ({ r, params: match(r, method, segments as string[]) })).find((m) => m.params)
    : undefined;
  const result = found
    ? await run(ctx, req, found.r, found.params!, hubHost)
    : fail('ArgumentInvalid', `no such IoT Hub service API: ${method} ${req.url}`);
  if (!found) req.resume();
  sendResult(res, result, ctx.now());
  publishSession(ctx, 'https', {
    action: 'request',
    ok: result.ok,
    status: result.status,
    ...(result.ok ? {} : { errorCode: result.errorCode }),
    ...(found?.params?.id || found?.params?.d ? { deviceId: found.params.id ?? found.params.d } : {}),
    reason: `service ${method} ${url(req)}: ${result.ok ? result.status : `${result.code} (${result.message})`}`,
    detail: { method, path: req.url, service: true },
  });
}

function url(req: http.IncomingMessage): string {
  return (req.url ?? '').split('?')[0]!;
}
