/**
 * What DPS over AMQP looks like on the wire, as azure-iot-provisioning-device-amqp 1.9 speaks it: the
 * SASL PLAIN username and both link addresses are `{idScope}/registrations/{registrationId}`; requests
 * carry `iotdps-operation-type` (and `iotdps-operation-id`, `iotdps-forceRegistration`) as
 * application properties with a `correlation_id`; replies carry the same correlation id, a JSON body
 * in a data section and, on a register, `retry-after` in seconds. No sockets here.
 */
import crypto from 'node:crypto';

export interface Registration {
  idScope: string;
  registrationId: string;
}

const ADDRESS = /^([^/]+)\/registrations\/([^/]+)$/;

/** `{idScope}/registrations/{registrationId}` (a leading `/` tolerated), else undefined. */
export function parseRegistration(address: string | undefined): Registration | undefined {
  const m = ADDRESS.exec((address ?? '').replace(/^\//, ''));
  if (!m) return undefined;
  try {
    return { idScope: decodeURIComponent(m[1]!), registrationId: decodeURIComponent(m[2]!) };
  } catch {
    return undefined;
  }
}

export const registrationKey = (r: Registration): string => `${r.idScope.toLowerCase()}/${r.registrationId}`;

export const OPERATION = {
  register: 'iotdps-register',
  status: 'iotdps-get-operationstatus',
} as const;

export const PROPERTY = {
  operationType: 'iotdps-operation-type',
  operationId: 'iotdps-operation-id',
  forceRegistration: 'iotdps-forceRegistration',
  status: 'iotdps-status',
  retryAfter: 'retry-after',
} as const;

/** A data section as rhea decodes it: `{ typecode: 0x75, content: Buffer }`. */
interface Section {
  typecode?: number;
  content?: unknown;
}

/** The body of a request as text: a data section, a binary, a string, or nothing. */
export function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (Buffer.isBuffer(body)) return body.toString('utf8');
  const section = body as Section;
  if (section.typecode === 0x75 && Buffer.isBuffer(section.content)) return section.content.toString('utf8');
  return '';
}

/** The request's application properties, each value as a string (absent ones left out). */
export function requestProperties(props: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props ?? {})) if (v !== undefined && v !== null) out[k] = String(v);
  return out;
}

/**
 * An error description as DPS writes it in AMQP errors (seen on the wire from Azure:
 * `{"errorCode":401002,"trackingId":…,"message":"IotHubUnauthorizedAccess","timestampUtc":…}`);
 * `message` here says why, so the device's log explains the refusal.
 */
export function dpsErrorDescription(errorCode: number, message: string, now: Date): string {
  const trackingId = crypto.randomUUID();
  return JSON.stringify({ errorCode, trackingId, message, timestampUtc: now.toISOString() });
}
