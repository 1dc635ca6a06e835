/**
 * DPS requests over AMQP, sans-IO: a request (operation type, correlation id, body) from an attested
 * registration becomes how its delivery is settled, the reply message and the session event. The
 * semantics are those of MQTT and HTTPS DPS (src/after/mqtt/dps.ts, src/after/https.ts): register
 * answers "assigning" with retry-after, the status poll assigns. A request DPS cannot serve is
 * rejected with an AMQP error condition: the SDK turns a rejected delivery into an error of the
 * call (a reply without `status` would make it throw on `status.toLowerCase()`).
 */
import type { Attested, DpsService } from '../../../core/dps.js';
import type { DpsSettings } from '../../dps-options.js';
import type { SessionFields } from '../../events.js';
import { bodyText, dpsErrorDescription, OPERATION, PROPERTY } from './wire.js';

/** What rhea decodes a message id to. */
export type MessageId = string | number | Buffer;

export interface DpsRequest {
  correlationId: MessageId | undefined;
  /** Scenario time (error timestamps). */
  now: Date;
  properties: Record<string, string>;
  body: unknown;
}

export interface AmqpCondition {
  condition: string;
  description: string;
}

export interface DpsReply {
  /** Accept the request delivery and send `reply`, or reject it with this condition. */
  reject?: AmqpCondition;
  reply?: { correlation_id: MessageId | undefined; application_properties: Record<string, string>; body: Buffer };
  event: SessionFields;
}

function reply(r: DpsRequest, props: Record<string, string>, body: unknown): DpsReply['reply'] {
  return {
    correlation_id: r.correlationId,
    application_properties: { [PROPERTY.operationType]: r.properties[PROPERTY.operationType] ?? '', ...props },
    body: Buffer.from(JSON.stringify(body)),
  };
}

function refused(
  r: DpsRequest,
  action: 'dps-register' | 'dps-status' | 'request',
  status: number,
  errorCode: number,
  condition: string,
  description: string,
): DpsReply {
  return {
    reject: { condition, description: dpsErrorDescription(errorCode, description, r.now) },
    event: { action, ok: false, status, errorCode, reason: `${description}: rejected with ${condition}` },
  };
}

export function answerRequest(dps: DpsService, who: Attested, r: DpsRequest, settings: DpsSettings): DpsReply {
  const type = r.properties[PROPERTY.operationType];
  if (type === OPERATION.register) return register(dps, who, r, settings);
  if (type === OPERATION.status) return status(dps, who, r);
  return refused(
    r,
    'request',
    400,
    400001,
    'com.microsoft:argument-error',
    `${PROPERTY.operationType} '${type ?? ''}' is not ${OPERATION.register} or ${OPERATION.status}`,
  );
}

function parseBody(r: DpsRequest): { registrationId?: unknown; payload?: unknown } {
  try {
    const v: unknown = JSON.parse(bodyText(r.body) || '{}');
    return v && typeof v === 'object' ? (v as { registrationId?: unknown; payload?: unknown }) : {};
  } catch {
    return {}; // DPS tolerates an empty body; a broken one is treated as empty too (as over MQTT)
  }
}

function register(dps: DpsService, who: Attested, r: DpsRequest, settings: DpsSettings): DpsReply {
  const body = parseBody(r);
  if (body.registrationId !== undefined && body.registrationId !== who.registrationId)
    return refused(
      r,
      'dps-register',
      400,
      400004,
      'com.microsoft:argument-error',
      `registrationId '${String(body.registrationId)}' in the body does not match '${who.registrationId}'`,
    );
  const op = dps.register(who, body.payload);
  const retryAfter = String(settings.retryAfterSeconds);
  return {
    reply: reply(
      r,
      { [PROPERTY.status]: op.status, [PROPERTY.retryAfter]: retryAfter },
      { operationId: op.operationId, status: op.status },
    ),
    event: {
      action: 'dps-register',
      ok: true,
      status: 202,
      reason: `registration ${who.registrationId} accepted, operation ${op.operationId} assigning (retry-after ${retryAfter})`,
      detail: { operationId: op.operationId, forceRegistration: r.properties[PROPERTY.forceRegistration] === 'true' },
    },
  };
}

function status(dps: DpsService, who: Attested, r: DpsRequest): DpsReply {
  const operationId = r.properties[PROPERTY.operationId] ?? '';
  const op = dps.status(who.registrationId, operationId);
  if (!op)
    return refused(
      r,
      'dps-status',
      404,
      404002,
      'amqp:not-found',
      `operation '${operationId}' not found for registration '${who.registrationId}'`,
    );
  const st = op.registrationState!;
  return {
    reply: reply(
      r,
      { [PROPERTY.status]: op.status },
      { operationId: op.operationId, status: op.status, registrationState: st },
    ),
    event: {
      action: 'dps-status',
      ok: true,
      status: 200,
      deviceId: st.deviceId,
      reason: `registration ${who.registrationId} assigned to ${st.assignedHub} as device ${st.deviceId}`,
      detail: { assignedHub: st.assignedHub, operationId: op.operationId },
    },
  };
}
