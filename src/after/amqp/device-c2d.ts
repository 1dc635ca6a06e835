/**
 * Cloud-to-device over AMQP, from the hub core's per-device queue (the one HTTPS polls and MQTT
 * delivers from). While the device's receiver link on `/devices/{id}/messages/devicebound` has
 * credit, the oldest available message is locked and sent, unsettled; the device's outcome settles
 * it in the queue: accepted = complete, released (or modified) = abandon (back, deliveryCount + 1),
 * rejected = reject (gone, feedback `Rejected`). A lock that runs out makes the message available
 * again (the queue applies it); a late outcome for it is reported as lock lost. Messages held when
 * the link or the connection ends go back to the queue, as IoT Hub does.
 */
import type { Delivery, Sender } from 'rhea';
import type { C2DDelivery, C2DQueues, C2DSettle } from '../../core/c2d.js';
import type { SessionFields } from '../events.js';
import { c2dMessage } from './messages.js';

const ACTIONS: Record<C2DSettle, SessionFields['action']> = {
  complete: 'c2d-complete',
  abandon: 'c2d-abandon',
  reject: 'c2d-reject',
};

export class AmqpC2D {
  private readonly held = new Map<Delivery, C2DDelivery>();
  private readonly off: () => void;
  private pumping = false;
  private stopped = false;

  constructor(
    private readonly deviceId: string,
    private readonly queues: C2DQueues,
    readonly sender: Sender,
    private readonly event: (fields: SessionFields) => void,
  ) {
    this.off = queues.onAvailable(deviceId, () => this.pump());
  }

  /** Sends what is available while the device gives credit. */
  pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    try {
      while (this.sender.sendable()) {
        const m = this.queues.receive(this.deviceId);
        if (!m) break;
        this.send(m);
      }
    } finally {
      this.pumping = false;
    }
  }

  private send(m: C2DDelivery): void {
    const d = this.sender.send(c2dMessage(m));
    this.held.set(d, m);
    this.event({
      action: 'c2d',
      ok: true,
      reason: `cloud-to-device message ${m.messageId} (${m.body.length} bytes) sent to ${this.deviceId}`,
      detail: {
        messageId: m.messageId,
        deliveryCount: m.deliveryCount,
        sequenceNumber: m.sequenceNumber,
        properties: m.properties,
      },
    });
  }

  /** The device's outcome for one of our deliveries. */
  settled(d: Delivery, how: C2DSettle, outcome: string): void {
    const m = this.held.get(d);
    if (!m) return;
    this.held.delete(d);
    const r = this.queues.settle(this.deviceId, m.lockToken, how);
    this.event({
      action: ACTIONS[how],
      ok: r.ok,
      reason: r.ok
        ? `${this.deviceId} settled cloud-to-device message ${m.messageId} as ${outcome}: ${how}d`
        : `${outcome} for ${m.messageId} came after its lock expired: ${r.message}`,
      detail: { messageId: m.messageId, outcome, ...(r.ok ? {} : { errorCode: r.errorCode }) },
    });
    if (how !== 'abandon') this.pump();
  }

  /** The link or connection ended: messages without an outcome go back to the queue (abandoned). */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.off();
    const held = [...this.held.values()];
    this.held.clear();
    for (const m of held) {
      if (!this.queues.abandon(this.deviceId, m.lockToken).ok) continue;
      this.event({
        action: 'c2d-abandon',
        ok: true,
        reason: `${reason} before ${this.deviceId} settled ${m.messageId}: back in the queue`,
        detail: { messageId: m.messageId },
      });
    }
  }
}
