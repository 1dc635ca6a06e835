/**
 * Cloud-to-device over MQTT, from the hub core's per-device queue (the one HTTPS polls). Once the
 * device subscribes to `devices/{id}/messages/devicebound/#`, every available message is locked and
 * sent at QoS 1 (what was queued while the device was offline goes at once); the device's PUBACK
 * completes it. When the queue says a message became available (enqueued, abandoned, lock expired)
 * the pump runs again.
 *
 * A connection that ends before the PUBACK: IoT Hub's MQTT gateway gives the messages it holds for
 * that connection back to the queue when the connection closes, so the device gets them again, at
 * once, when it reconnects and subscribes, each with its delivery count up by one (an abandon). We do
 * the same (`stop`). While the connection stays up without a PUBACK the lock runs out after
 * `lockTimeoutSeconds`; the message is then sent again on the next pump (next enqueue or subscribe).
 */
import type { C2DDelivery, C2DQueues } from '../../core/c2d.js';
import type { SessionFields } from '../events.js';
import type { MqttSession } from './session.js';
import { encodeProperties } from './topics.js';

/** The property bag IoT Hub puts in the topic of a cloud-to-device PUBLISH. */
export function c2dTopic(m: C2DDelivery): string {
  const props: Record<string, string> = {
    ...m.properties,
    '$.mid': m.messageId,
    '$.to': m.to,
    ...(m.correlationId !== undefined ? { '$.cid': m.correlationId } : {}),
    ...(m.contentType !== undefined ? { '$.ct': m.contentType } : {}),
    ...(m.contentEncoding !== undefined ? { '$.ce': m.contentEncoding } : {}),
    ...(m.userId !== undefined ? { '$.uid': m.userId } : {}),
    '$.exp': m.expiry.toISOString(),
    ...(m.ack !== 'none' ? { 'iothub-ack': m.ack } : {}),
  };
  return `devices/${m.deviceId}/messages/devicebound/${encodeProperties(props)}`;
}

export class MqttC2D {
  private readonly held = new Map<string, C2DDelivery>();
  private off?: () => void;
  private pumping = false;

  constructor(
    private readonly deviceId: string,
    private readonly queues: C2DQueues,
    private readonly session: MqttSession,
    private readonly event: (fields: SessionFields) => void,
  ) {}

  /** The device subscribed to its devicebound topic: deliver what waits, and what comes. */
  start(): void {
    if (!this.off) this.off = this.queues.onAvailable(this.deviceId, () => this.pump());
    this.pump();
  }

  private pump(): void {
    if (this.pumping) return; // a delivery below made the queue notify again
    this.pumping = true;
    try {
      for (let m = this.queues.receive(this.deviceId); m && this.send(m); m = this.queues.receive(this.deviceId));
    } finally {
      this.pumping = false;
    }
  }

  /** False when the session could not send it (no matching subscription): it goes back, and the pump stops. */
  private send(m: C2DDelivery): boolean {
    this.held.set(m.lockToken, m);
    const sent = this.session.deliver(c2dTopic(m), m.body, 1, () => this.completed(m));
    const detail = { messageId: m.messageId, deliveryCount: m.deliveryCount, sequenceNumber: m.sequenceNumber };
    if (!sent) {
      this.held.delete(m.lockToken);
      this.queues.abandon(this.deviceId, m.lockToken);
      return false;
    }
    this.event({
      action: 'c2d',
      ok: true,
      reason: `cloud-to-device message ${m.messageId} (${m.body.length} bytes) sent to ${this.deviceId}`,
      detail: { ...detail, properties: m.properties },
    });
    return true;
  }

  private completed(m: C2DDelivery): void {
    if (!this.held.delete(m.lockToken)) return;
    const r = this.queues.complete(this.deviceId, m.lockToken);
    this.event({
      action: 'c2d-complete',
      ok: r.ok,
      reason: r.ok
        ? `${this.deviceId} acknowledged cloud-to-device message ${m.messageId} (PUBACK): completed`
        : `PUBACK for ${m.messageId} came after its lock expired: ${r.message}`,
      detail: { messageId: m.messageId },
    });
  }

  /** The connection ended: messages without a PUBACK go back to the queue (abandoned). */
  stop(): void {
    this.off?.();
    this.off = undefined;
    const held = [...this.held.values()];
    this.held.clear();
    for (const m of held) {
      const r = this.queues.abandon(this.deviceId, m.lockToken);
      if (!r.ok) continue;
      this.event({
        action: 'c2d-abandon',
        ok: true,
        reason: `connection of ${this.deviceId} closed before the PUBACK of ${m.messageId}: back in the queue`,
        detail: { messageId: m.messageId },
      });
    }
  }
}
