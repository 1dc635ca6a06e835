/**
 * AMQP messages as IoT Hub writes and reads them (sans-IO, on rhea's message shape): bodies (a data
 * section, several, or an amqp-value), cloud-to-device messages with IoT Hub's properties, the
 * service's C2D message turned into the hub core's property bag, the feedback batch.
 */
import rhea, { type Message } from 'rhea';
import { C2D_SYSTEM_KEYS, type C2DDelivery, type C2DFeedbackRecord } from '../../core/c2d.js';

/** rhea's typings are narrower than what it encodes (binary user_id, timestamps as ms): build from a plain object. */
export function asMessage(fields: Record<string, unknown>): Message {
  return fields as unknown as Message;
}

/** The bytes of a body: data section(s), or an amqp-value (a string, binary, or JSON for anything else). */
export function bodyBytes(body: unknown): Buffer | undefined {
  if (body === undefined || body === null) return undefined;
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const section = body as { typecode?: number; content?: unknown; multiple?: boolean };
  if (section.typecode === 0x75) {
    const parts = section.multiple ? (section.content as Buffer[]) : [section.content as Buffer];
    return Buffer.concat(parts.filter((p) => Buffer.isBuffer(p)));
  }
  return Buffer.from(JSON.stringify(body), 'utf8');
}

/** A data-section body (what the Azure SDKs send and read). */
export function dataBody(data: Buffer | string): unknown {
  return rhea.message.data_section(Buffer.from(data));
}

/** An id as text: AMQP uuids arrive as 16-byte buffers. */
export function idText(id: unknown): string | undefined {
  if (id === undefined || id === null) return undefined;
  if (Buffer.isBuffer(id) && id.length === 16) return rhea.uuid_to_string(id);
  if (Buffer.isBuffer(id)) return id.toString('utf8');
  return String(id);
}

/** What the device receives for a queued cloud-to-device message, with IoT Hub's properties. */
export function c2dMessage(m: C2DDelivery): Message {
  const app: Record<string, string> = { ...m.properties, ...(m.ack !== 'none' ? { 'iothub-ack': m.ack } : {}) };
  return asMessage({
    message_id: m.messageId,
    to: m.to,
    ...(m.correlationId !== undefined ? { correlation_id: m.correlationId } : {}),
    ...(m.contentType !== undefined ? { content_type: m.contentType } : {}),
    ...(m.contentEncoding !== undefined ? { content_encoding: m.contentEncoding } : {}),
    ...(m.userId !== undefined ? { user_id: Buffer.from(m.userId) } : {}),
    absolute_expiry_time: m.expiry.getTime(),
    creation_time: m.enqueuedTime.getTime(),
    delivery_count: m.deliveryCount,
    message_annotations: {
      'iothub-enqueuedtime': m.enqueuedTime,
      'x-opt-sequence-number': m.sequenceNumber,
      'iothub-deliverycount': m.deliveryCount,
    },
    application_properties: app,
    body: dataBody(m.body),
  });
}

/** The hub core's property bag for a message the service sent (application properties + C2D_SYSTEM_KEYS). */
export function c2dProperties(m: Message): Record<string, string> {
  const K = C2D_SYSTEM_KEYS;
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries((m.application_properties ?? {}) as Record<string, unknown>))
    if (v !== undefined && v !== null) props[k] = String(v);
  const set = (key: string, v: unknown) => {
    if (v !== undefined && v !== null) props[key] = v instanceof Date ? v.toISOString() : String(v);
  };
  set(K.messageId, idText(m.message_id));
  set(K.correlationId, idText(m.correlation_id));
  set(K.contentType, m.content_type);
  set(K.contentEncoding, m.content_encoding);
  const uid = m.user_id as unknown;
  set(K.userId, Buffer.isBuffer(uid) ? uid.toString('utf8') : uid);
  const exp = m.absolute_expiry_time as unknown;
  set(K.expiry, typeof exp === 'number' && exp > 0 ? new Date(exp) : exp);
  return props;
}

export const FEEDBACK_CONTENT_TYPE = 'application/vnd.microsoft.iothub.feedback.json';

/** IoT Hub's feedback batch: a JSON array of records (the service SDK parses the body). */
export function feedbackMessage(
  records: C2DFeedbackRecord[],
  generationIds: (deviceId: string) => string | undefined,
): Message {
  const body = records.map((r) => ({
    originalMessageId: r.originalMessageId,
    description: r.description,
    deviceGenerationId: generationIds(r.deviceId) ?? '',
    deviceId: r.deviceId,
    enqueuedTimeUtc: r.enqueuedTimeUtc,
    statusCode: r.statusCode,
  }));
  return asMessage({
    message_id: rhea.generate_uuid(),
    content_type: FEEDBACK_CONTENT_TYPE,
    content_encoding: 'utf-8',
    user_id: Buffer.from('hubtls'),
    body: dataBody(JSON.stringify(body)),
  });
}

/** A JSON body as an object, or its text, or undefined when empty. */
export function jsonBody(body: unknown): unknown {
  const bytes = bodyBytes(body);
  if (!bytes || bytes.length === 0) return undefined;
  const text = bytes.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Telemetry properties as the registry keeps them: application properties plus IoT Hub's system names. */
export function telemetryProperties(m: Message): Record<string, string> {
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries((m.application_properties ?? {}) as Record<string, unknown>))
    props[k] = String(v);
  const sys: Array<[string, unknown]> = [
    ['$.mid', idText(m.message_id)],
    ['$.cid', idText(m.correlation_id)],
    ['$.ct', m.content_type],
    ['$.ce', m.content_encoding],
  ];
  for (const [k, v] of sys) if (v !== undefined && v !== null) props[k] = String(v);
  return props;
}

/** A body as the registry keeps it: UTF-8 text when it is valid UTF-8, else base64. */
export function bodyText(bytes: Buffer): { body: string; base64?: boolean } {
  const text = bytes.toString('utf8');
  return Buffer.from(text, 'utf8').equals(bytes) ? { body: text } : { body: bytes.toString('base64'), base64: true };
}
