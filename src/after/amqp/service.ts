/**
 * The service side of IoT Hub over AMQP: the cloud-to-device sender link on `/messages/devicebound`
 * (each message `to: /devices/{id}/messages/devicebound`; accepted once queued, rejected with the
 * condition IoT Hub gives: amqp:not-found for an unknown device, amqp:resource-limit-exceeded for a
 * full queue, amqp:link:message-size-exceeded over 64 KB) and the feedback receiver on
 * `/messages/serviceBound/feedback`, which gets IoT Hub's feedback batches (a JSON array, content
 * type application/vnd.microsoft.iothub.feedback.json). A batch's records are taken from the hub
 * core when sent; accepted (or rejected) they are gone, released they go back, in front.
 */
import type { Delivery, EventContext, Sender } from 'rhea';
import type { C2DFeedbackRecord } from '../../core/c2d.js';
import type { DeviceRegistry } from '../../core/registry.js';
import { HubtlsError } from '../../errors.js';
import type { SessionFields } from '../events.js';
import { c2dTarget } from './addresses.js';
import { bodyBytes, c2dProperties, feedbackMessage, idText } from './messages.js';

/** IoT Hub's cloud-to-device message limit. */
export const C2D_BODY_LIMIT = 64 * 1024;

interface Refusal {
  condition: string;
  description: string;
}

function refusalOf(e: unknown): Refusal | undefined {
  if (!(e instanceof HubtlsError)) return undefined;
  if (e.code === 'HUBTLS_DEVICE_NOT_FOUND') return { condition: 'amqp:not-found', description: e.message };
  if (e.code === 'HUBTLS_C2D_QUEUE_FULL') return { condition: 'amqp:resource-limit-exceeded', description: e.message };
  return undefined;
}

/** A message on the service's C2D sender link: queued for the device, or rejected with IoT Hub's condition. */
export function serviceC2D(devices: DeviceRegistry, e: EventContext, event: (f: SessionFields) => void): void {
  const m = e.message!;
  const d = e.delivery!;
  const deviceId = c2dTarget(m.to);
  const body = bodyBytes(m.body) ?? Buffer.alloc(0);
  let refusal: Refusal | undefined;
  if (!deviceId)
    refusal = {
      condition: 'com.microsoft:argument-error',
      description: `'to' is '${String(m.to)}', not /devices/{id}/messages/devicebound`,
    };
  else if (body.length > C2D_BODY_LIMIT)
    refusal = {
      condition: 'amqp:link:message-size-exceeded',
      description: `message of ${body.length} bytes is over IoT Hub's ${C2D_BODY_LIMIT}-byte cloud-to-device limit`,
    };
  if (!refusal) {
    try {
      const r = devices.sendC2D(deviceId!, body, c2dProperties(m));
      d.accept();
      return event({
        action: 'c2d',
        ok: true,
        deviceId,
        reason: `service queued cloud-to-device message ${r.messageId} for ${deviceId} over AMQP (${r.queued} in its queue)`,
        detail: {
          messageId: r.messageId,
          queued: r.queued,
          bytes: body.length,
          ack: (m.application_properties as Record<string, unknown> | undefined)?.['iothub-ack'],
        },
      });
    } catch (err) {
      refusal = refusalOf(err);
      if (!refusal) throw err;
    }
  }
  d.reject(refusal);
  event({
    action: 'c2d',
    ok: false,
    ...(deviceId ? { deviceId } : {}),
    reason: `service cloud-to-device message refused (${refusal.condition}): ${refusal.description}`,
    detail: { condition: refusal.condition, messageId: idText(m.message_id) },
  });
}

/** The feedback receiver: batches from `c2d.feedback` while the service gives credit. */
export class FeedbackSender {
  private readonly held = new Map<Delivery, C2DFeedbackRecord[]>();
  private readonly off: () => void;
  private scheduled = false;
  private stopped = false;

  constructor(
    readonly sender: Sender,
    private readonly devices: DeviceRegistry,
    private readonly event: (f: SessionFields) => void,
  ) {
    this.off = devices.c2d.feedback.onRecord(() => this.schedule());
    this.schedule();
  }

  /** Records added in one turn of the event loop go out as one batch. */
  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    if (this.stopped || !this.sender.sendable()) return;
    const records = this.devices.c2d.feedback.drain();
    if (records.length === 0) return;
    const gen = (id: string) => this.devices.get(id)?.identity.generationId;
    this.held.set(this.sender.send(feedbackMessage(records, gen)), records);
    this.event({
      action: 'c2d-feedback',
      ok: true,
      reason: `feedback batch of ${records.length} record(s) sent to the service`,
      detail: { records: records.map((r) => ({ originalMessageId: r.originalMessageId, statusCode: r.statusCode })) },
    });
  }

  settled(d: Delivery, outcome: 'accepted' | 'released' | 'rejected'): void {
    const records = this.held.get(d);
    if (!records) return;
    this.held.delete(d);
    if (outcome === 'released') this.devices.c2d.feedback.restore(records);
    this.event({
      action: 'c2d-feedback',
      ok: outcome !== 'released',
      reason: `the service ${outcome} a feedback batch of ${records.length} record(s)${outcome === 'released' ? ': back in the feedback queue' : ''}`,
    });
    this.schedule();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.off();
    for (const records of this.held.values()) this.devices.c2d.feedback.restore(records);
    this.held.clear();
  }
}
