/**
 * Cloud-to-device for devices that poll over HTTPS, from the hub core's per-device queue (the one
 * MQTT delivers from), as IoT Hub's device REST API has it and azure-iot-device-http calls it:
 *
 *   GET    /devices/{id}/messages/devicebound                      200 + body, ETag "<lockToken>", iothub-* headers; 204 when empty
 *   DELETE /devices/{id}/messages/devicebound/{lockToken}          complete → 204
 *   DELETE /devices/{id}/messages/devicebound/{lockToken}?reject   reject → 204
 *   POST   /devices/{id}/messages/devicebound/{lockToken}/abandon  abandon → 204
 *
 * A lock token that is unknown, settled or expired: 412 with `iothub-errorcode: DeviceMessageLockLost`
 * (412020). The SDK takes the lock token from the ETag (quotes stripped) and also sends it in If-Match.
 */
import type { C2DDelivery, C2DQueues, C2DSettle } from '../core/c2d.js';
import type { SessionFields } from './events.js';

/** What the device HTTPS responder lends this file for one request. */
export interface C2DCall {
  method: string;
  deviceId: string;
  /** Path segments after `devicebound`. */
  rest: string[];
  query: URLSearchParams;
  queues: C2DQueues;
  reply(status: number, body: Buffer | undefined, headers?: Record<string, string>): void;
  error(status: number, errorCode: number, code: string, message: string): void;
  event(fields: SessionFields): void;
}

/** IoT Hub's response headers for a received message (the SDK copies iothub-app-* into message properties). */
export function deliveryHeaders(m: C2DDelivery): Record<string, string> {
  const app = Object.fromEntries(Object.entries(m.properties).map(([k, v]) => [`iothub-app-${k}`, v]));
  return {
    etag: `"${m.lockToken}"`,
    'iothub-messageid': m.messageId,
    'iothub-sequencenumber': String(m.sequenceNumber),
    'iothub-to': m.to,
    'iothub-expiry': m.expiry.toISOString(),
    'iothub-enqueuedtime': m.enqueuedTime.toISOString(),
    'iothub-deliverycount': String(m.deliveryCount),
    ...(m.correlationId !== undefined ? { 'iothub-correlationid': m.correlationId } : {}),
    ...(m.userId !== undefined ? { 'iothub-userid': m.userId } : {}),
    ...(m.contentType !== undefined ? { 'iothub-contenttype': m.contentType } : {}),
    ...(m.contentEncoding !== undefined ? { 'iothub-contentencoding': m.contentEncoding } : {}),
    ...(m.ack !== 'none' ? { 'iothub-ack': m.ack } : {}),
    ...app,
  };
}

/** Handles a devicebound request; false when the method and path are not one of the four calls. */
export function deviceBound(c: C2DCall): boolean {
  const [token, abandon, ...extra] = c.rest;
  if (extra.length > 0) return false;
  if (c.method === 'GET' && token === undefined) return (poll(c), true);
  if (c.method === 'DELETE' && token !== undefined && abandon === undefined)
    return (settle(c, token, c.query.has('reject') ? 'reject' : 'complete'), true);
  if (c.method === 'POST' && token !== undefined && abandon === 'abandon') return (settle(c, token, 'abandon'), true);
  return false;
}

function poll(c: C2DCall): void {
  const m = c.queues.receive(c.deviceId);
  if (!m) {
    c.reply(204, undefined);
    return c.event({ action: 'request', ok: true, status: 204, reason: `C2D poll by ${c.deviceId}: no message` });
  }
  c.reply(200, m.body, deliveryHeaders(m));
  c.event({
    action: 'c2d',
    ok: true,
    status: 200,
    reason: `cloud-to-device message ${m.messageId} (${m.body.length} bytes) sent to ${c.deviceId} (poll)`,
    detail: { messageId: m.messageId, deliveryCount: m.deliveryCount, lockToken: m.lockToken },
  });
}

/** A token that is not valid percent-encoding is just a token no lock has (412 below), not a 500. */
function decoded(token: string): string {
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}

const PAST = { complete: 'completed', reject: 'rejected', abandon: 'abandoned' } as const;

function settle(c: C2DCall, lockToken: string, how: C2DSettle): void {
  const r = c.queues.settle(c.deviceId, decoded(lockToken), how);
  if (!r.ok) {
    c.error(412, r.errorCode, r.code, r.message);
    return c.event({ action: `c2d-${how}`, ok: false, status: 412, errorCode: r.errorCode, reason: r.message });
  }
  c.reply(204, undefined);
  c.event({
    action: `c2d-${how}`,
    ok: true,
    status: 204,
    reason: `${c.deviceId} ${PAST[how]} cloud-to-device message ${r.message.messageId}`,
    detail: { messageId: r.message.messageId, deliveryCount: r.message.deliveryCount },
  });
}
