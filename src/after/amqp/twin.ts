/**
 * Twin requests over AMQP as the device SDK sends them on `/devices/{id}[/modules/{m}]/twin`
 * (sans-IO): message annotations `operation` (GET, PATCH, PUT, DELETE) and `resource`
 * (`/properties/reported`, `/notifications/twin/properties/desired`), correlation_id; the answer
 * goes back on the receiving link of the same `com.microsoft:channel-correlation-id`, with the
 * request's correlation_id and annotations `status` (and `version` after a PATCH). Desired-property
 * pushes are messages without a correlation_id.
 */
import type { Message } from 'rhea';
import { patchModuleReported } from '../../core/module-api.js';
import type { DeviceRegistry } from '../../core/registry.js';
import { isPatch } from '../../core/twin.js';
import type { SessionFields } from '../events.js';
import type { DeviceIdentity } from './addresses.js';
import { asMessage, dataBody, jsonBody } from './messages.js';

export const DESIRED_RESOURCE = '/notifications/twin/properties/desired';

export interface TwinOutcome {
  response: Message;
  /** PUT / DELETE of the desired notifications: start or stop pushing desired patches. */
  subscribe?: boolean;
  event: SessionFields;
}

function response(request: Message, status: number, body?: unknown, version?: number): Message {
  return asMessage({
    correlation_id: request.correlation_id,
    message_annotations: { status, ...(version !== undefined ? { version } : {}) },
    ...(body !== undefined ? { body: dataBody(JSON.stringify(body)) } : {}),
  });
}

function refuse(
  request: Message,
  status: number,
  errorCode: number,
  reason: string,
  action: SessionFields['action'],
): TwinOutcome {
  return {
    response: response(request, status, { errorCode, message: reason }),
    event: { action, ok: false, status, errorCode, reason },
  };
}

export function twinRequest(devices: DeviceRegistry, id: DeviceIdentity, m: Message, now: Date): TwinOutcome {
  const a = (m.message_annotations ?? {}) as Record<string, unknown>;
  const op = String(a.operation ?? '').toUpperCase();
  const resource = typeof a.resource === 'string' ? a.resource : undefined;
  const rec = devices.get(id.deviceId);
  const mod = id.moduleId ? rec?.modules.get(id.moduleId) : undefined;
  const twin = id.moduleId ? mod?.twin : rec?.twin;
  if (!rec || !twin) return refuse(m, 404, 404001, `${id.linkId} is not in the registry`, 'twin-get');
  if (op === 'GET') {
    return {
      response: response(m, 200, twin),
      event: {
        action: 'twin-get',
        ok: true,
        status: 200,
        reason: `twin of ${id.linkId} sent (desired $version ${twin.desired.$version})`,
      },
    };
  }
  if (op === 'PATCH' && resource === '/properties/reported') {
    const patch = jsonBody(m.body);
    if (!isPatch(patch))
      return refuse(m, 400, 400004, `reported-properties patch from ${id.linkId} is not a JSON object`, 'twin-patch');
    const version = mod ? patchModuleReported(mod, patch, now) : devices.patchReported(id.deviceId, patch);
    return {
      response: response(m, 204, undefined, version),
      event: {
        action: 'twin-patch',
        ok: true,
        status: 204,
        reason: `reported properties of ${id.linkId} now at $version ${version}`,
        detail: { patch },
      },
    };
  }
  if ((op === 'PUT' || op === 'DELETE') && resource === DESIRED_RESOURCE) {
    const on = op === 'PUT';
    return {
      response: response(m, 200),
      subscribe: on,
      event: {
        action: 'subscribe',
        ok: true,
        reason: `${on ? 'granted' : 'removed'} desired-property notifications for ${id.linkId}`,
        detail: { resource, operation: op },
      },
    };
  }
  return refuse(
    m,
    400,
    400001,
    `twin operation '${op}' on resource '${resource ?? ''}' is not one IoT Hub serves`,
    'twin-get',
  );
}

/** A desired-properties patch pushed to the device (no correlation_id: the SDK reads it as a delta). */
export function desiredPush(patch: Record<string, unknown>): Message {
  return asMessage({ message_annotations: { version: Number(patch.$version) }, body: dataBody(JSON.stringify(patch)) });
}
