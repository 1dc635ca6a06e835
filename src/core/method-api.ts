/**
 * Direct methods as IoT Hub's service API calls them (`POST /twins/{id}/methods`): the body
 * `{methodName, payload, responseTimeoutInSeconds, connectTimeoutInSeconds}` is checked as IoT Hub
 * checks it, the call goes through the device's link, and the answer is `{status, payload}`;
 * an offline device is 404103 DeviceNotOnline, no answer in time 504101 GatewayTimeout.
 */
import type { DeviceRegistry } from './registry.js';
import { done, fail, type ServiceError, type ServiceResult } from './service-errors.js';

export interface MethodCall {
  methodName: string;
  payload: unknown;
  responseTimeoutInSeconds: number;
  connectTimeoutInSeconds: number;
}

/** IoT Hub's bounds: response 5–300 s (default 30), connect 0–300 s (default 0). */
const RESPONSE = { min: 5, max: 300, default: 30 };
const CONNECT = { min: 0, max: 300, default: 0 };

function seconds(v: unknown, b: typeof RESPONSE, name: string): number | string {
  if (v === undefined || v === null) return b.default;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < b.min || v > b.max)
    return `${name} must be a whole number of seconds from ${b.min} to ${b.max}`;
  return v;
}

export function readMethodCall(body: unknown): MethodCall | ServiceError {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return fail('ArgumentInvalid', 'the request body must be a method call JSON object');
  const b = body as Record<string, unknown>;
  if (typeof b.methodName !== 'string' || !b.methodName || b.methodName.length > 100 || /[/?#$]/.test(b.methodName))
    return fail('ArgumentInvalid', 'methodName must be a non-empty name of up to 100 characters without / ? # $');
  const response = seconds(b.responseTimeoutInSeconds, RESPONSE, 'responseTimeoutInSeconds');
  const connect = seconds(b.connectTimeoutInSeconds, CONNECT, 'connectTimeoutInSeconds');
  if (typeof response === 'string') return fail('ArgumentInvalid', response);
  if (typeof connect === 'string') return fail('ArgumentInvalid', connect);
  return {
    methodName: b.methodName,
    payload: b.payload === undefined ? null : b.payload,
    responseTimeoutInSeconds: response,
    connectTimeoutInSeconds: connect,
  };
}

type MethodAnswer = ServiceResult<{ status: number; payload: unknown }>;

/** Calls a method on a link (a device id or a module's `{d}/{m}`); `who` names it in errors. */
export async function invokeOnLink(
  reg: DeviceRegistry,
  linkId: string,
  call: MethodCall,
  who: string,
): Promise<MethodAnswer> {
  const r = await reg.links.invoke(linkId, call.methodName, call.payload, {
    responseTimeoutMs: call.responseTimeoutInSeconds * 1000,
    connectTimeoutMs: call.connectTimeoutInSeconds * 1000,
  });
  if (r.failed === 'offline') return fail('DeviceNotOnline', `Timed out waiting for ${who} to connect`);
  if (r.failed === 'timeout') return fail('GatewayTimeout', `Timed out waiting for the response from ${who}`);
  return done({ status: r.status, payload: r.payload });
}

export async function invokeMethod(reg: DeviceRegistry, id: string, body: unknown): Promise<MethodAnswer> {
  const call = readMethodCall(body);
  if ('ok' in call) return call;
  if (!reg.get(id)) return fail('DeviceNotFound', `Device ${id} not registered`);
  return invokeOnLink(reg, id, call, `device ${id}`);
}
