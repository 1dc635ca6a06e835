/**
 * Service API responses as IoT Hub writes them. A failure carries the `iothub-errorcode` header and
 * `{"Message":"ErrorCode:DeviceNotFound;<text>","ExceptionMessage":"Tracking ID:…-TimeStamp:…"}`:
 * the service SDKs split Message on `;` and map the code to their typed errors.
 */
import crypto from 'node:crypto';
import type http from 'node:http';
import type { ServiceError, ServiceResult } from '../../core/service-errors.js';

/** IoT Hub's timestamp form in ExceptionMessage: MM/dd/yyyy HH:mm:ss (UTC). */
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return (
    `${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${d.getUTCFullYear()} ` +
    `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`
  );
}

export function errorBody(e: Pick<ServiceError, 'code' | 'message'>, now: Date) {
  const tracking = crypto.randomUUID().replace(/-/g, '');
  return {
    // The SDKs take the text between the first and second ';' as the message: keep it free of ';'.
    Message: `ErrorCode:${e.code};${e.message.replace(/;/g, ',')}`,
    ExceptionMessage: `Tracking ID:${tracking}-G:0-TimeStamp:${stamp(now)}`,
  };
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  const text = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, {
    ...(text ? { 'content-type': 'application/json; charset=utf-8' } : {}),
    'content-length': String(Buffer.byteLength(text)),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: http.ServerResponse, e: Pick<ServiceError, 'status' | 'code' | 'message'>, now: Date) {
  send(res, e.status, errorBody(e, now), { 'iothub-errorcode': e.code });
}

export function sendResult(res: http.ServerResponse, r: ServiceResult<unknown>, now: Date): void {
  if (!r.ok) return sendError(res, r, now);
  send(res, r.status, r.value, { ...r.headers, ...(r.etag ? { etag: `"${r.etag}"` } : {}) });
}
