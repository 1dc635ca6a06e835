/**
 * Cloud-to-device queues: one per device, with IoT Hub's semantics, shared by every transport (MQTT
 * delivers from it now, HTTPS polls it, AMQP will). No I/O and no timers: time is the scenario
 * clock given to the constructor, and lock expiry and message expiry are applied whenever a queue
 * is touched, so tests drive them by moving the clock.
 *
 * A message is *available* (FIFO) until a receiver locks it (a lock token, valid `lockTimeoutSeconds`).
 * The lock holder completes it (gone, feedback `Success`), rejects it (gone, feedback `Rejected`) or
 * abandons it (available again, deliveryCount + 1); a lock that runs out counts as an abandon. A
 * message whose deliveryCount passes `maxDeliveryCount`, or whose expiry passes, is dead-lettered:
 * dropped, with feedback `DeliveryCountExceeded` / `Expired`. Feedback records are kept (when the
 * message's `iothub-ack` asks for them) for the service side's feedback receiver: `feedback.drain()`.
 */
import crypto from 'node:crypto';

/** IoT Hub's defaults (hub settings "cloud-to-device": TTL 1 h, max delivery count 10; lock 60 s; 50 messages per device). */
export const C2D_DEFAULTS = {
  ttlSeconds: 3600,
  maxDeliveryCount: 10,
  lockTimeoutSeconds: 60,
  maxQueueDepth: 50,
} as const;

export type C2DOptions = { -readonly [K in keyof typeof C2D_DEFAULTS]: number };

/** `iothub-ack`: which outcomes produce a feedback record. */
export type C2DAck = 'none' | 'positive' | 'negative' | 'full';

/** The keys of `sendC2D` properties that are system properties (IoT Hub's MQTT names); the rest are application properties. */
export const C2D_SYSTEM_KEYS = {
  messageId: '$.mid',
  correlationId: '$.cid',
  contentType: '$.ct',
  contentEncoding: '$.ce',
  /** Absolute expiry (ISO 8601); default now + ttlSeconds. */
  expiry: '$.exp',
  userId: '$.uid',
  ack: 'iothub-ack',
} as const;

export interface C2DMessage {
  deviceId: string;
  messageId: string;
  /** Per device, from 1. */
  sequenceNumber: number;
  to: string;
  body: Buffer;
  correlationId?: string;
  contentType?: string;
  contentEncoding?: string;
  userId?: string;
  ack: C2DAck;
  /** Application properties. */
  properties: Record<string, string>;
  enqueuedTime: Date;
  expiry: Date;
  /** How many times it was delivered and given back (abandoned or lock expired). */
  deliveryCount: number;
}

/** A locked message as a receiver gets it. */
export interface C2DDelivery extends Readonly<C2DMessage> {
  lockToken: string;
  lockedUntil: Date;
}

export type C2DFeedbackStatus = 'Success' | 'Expired' | 'DeliveryCountExceeded' | 'Rejected' | 'Purged';

/** One record of IoT Hub's feedback batch (what the service's feedback receiver gets). */
export interface C2DFeedbackRecord {
  originalMessageId: string;
  deviceId: string;
  statusCode: C2DFeedbackStatus;
  description: string;
  enqueuedTimeUtc: string;
}

/** Why a settle call failed: the token is unknown, or its lock ran out (IoT Hub: 412 DeviceMessageLockLost). */
export interface C2DLockLost {
  ok: false;
  errorCode: 412020;
  code: 'DeviceMessageLockLost';
  message: string;
}

export type C2DSettled = { ok: true; message: C2DMessage } | C2DLockLost;

export type C2DSettle = 'complete' | 'abandon' | 'reject';

/** Thrown by enqueue when the device's queue is full; `errorCode` 403004 as IoT Hub answers. */
export class C2DQueueFullError extends Error {
  readonly errorCode = 403004;
  readonly code = 'DeviceMaximumQueueDepthExceeded';
}

interface Entry {
  msg: C2DMessage;
  lock?: { token: string; until: number };
}

const FEEDBACK_KEPT = 1000;

/** Feedback records waiting for the service side; the oldest go first when more than FEEDBACK_KEPT wait. */
export class C2DFeedback {
  private records: C2DFeedbackRecord[] = [];
  private readonly listeners = new Set<() => void>();

  /** `sweep` runs before each read, so messages that expired in queues nobody touched are counted. */
  constructor(private readonly sweep: () => void = () => {}) {}

  add(r: C2DFeedbackRecord): void {
    this.records.push(r);
    if (this.records.length > FEEDBACK_KEPT) this.records.shift();
    for (const l of [...this.listeners]) l();
  }

  /** Calls `listener` after each record added (a feedback receiver sends the next batch); returns the unsubscribe function. */
  onRecord(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Puts records taken by `drain` back in front, in their order (a batch the feedback receiver released). */
  restore(records: readonly C2DFeedbackRecord[]): void {
    this.records.unshift(...records);
    if (this.records.length > FEEDBACK_KEPT) this.records.splice(FEEDBACK_KEPT);
  }

  /** What is waiting, without taking it. */
  peek(): readonly C2DFeedbackRecord[] {
    this.sweep();
    return [...this.records];
  }

  /** Takes every waiting record (what a feedback receiver does when it completes a batch). */
  drain(): C2DFeedbackRecord[] {
    this.sweep();
    const r = this.records;
    this.records = [];
    return r;
  }
}

const wants = (ack: C2DAck, status: C2DFeedbackStatus): boolean =>
  ack === 'full' || (status === 'Success' ? ack === 'positive' : ack === 'negative');

const ACKS: readonly string[] = ['none', 'positive', 'negative', 'full'] satisfies C2DAck[];

/** The queues of one hub. */
export class C2DQueues {
  readonly options: C2DOptions;
  readonly feedback = new C2DFeedback(() => this.sweep());
  private readonly queues = new Map<string, Entry[]>();
  private readonly sequence = new Map<string, number>();
  private readonly listeners = new Map<string, Set<() => void>>();

  constructor(
    private readonly now: () => Date,
    options: Partial<C2DOptions> = {},
  ) {
    this.options = { ...C2D_DEFAULTS, ...options };
  }

  /**
   * Queues a message; `properties` holds application properties and the system keys of
   * C2D_SYSTEM_KEYS. Throws C2DQueueFullError at maxQueueDepth. Listeners of the device are told.
   */
  enqueue(deviceId: string, body: Buffer, properties: Record<string, string> = {}): C2DMessage {
    const q = this.live(deviceId);
    if (q.length >= this.options.maxQueueDepth)
      throw new C2DQueueFullError(
        `the cloud-to-device queue of ${deviceId} holds ${q.length} messages, its maximum (403004 DeviceMaximumQueueDepthExceeded)`,
      );
    const msg = this.message(deviceId, body, properties);
    q.push({ msg });
    this.notify(deviceId);
    return msg;
  }

  private message(deviceId: string, body: Buffer, props: Record<string, string>): C2DMessage {
    const K = C2D_SYSTEM_KEYS;
    const system = new Set<string>(Object.values(K));
    const now = this.now();
    const seq = (this.sequence.get(deviceId) ?? 0) + 1;
    this.sequence.set(deviceId, seq);
    const expiry = props[K.expiry];
    const exp = expiry ? new Date(expiry) : undefined;
    const ack = props[K.ack] ?? 'none';
    return {
      deviceId,
      messageId: props[K.messageId] ?? crypto.randomUUID(),
      sequenceNumber: seq,
      to: `/devices/${deviceId}/messages/deviceBound`,
      body,
      ...(props[K.correlationId] !== undefined ? { correlationId: props[K.correlationId] } : {}),
      ...(props[K.contentType] !== undefined ? { contentType: props[K.contentType] } : {}),
      ...(props[K.contentEncoding] !== undefined ? { contentEncoding: props[K.contentEncoding] } : {}),
      ...(props[K.userId] !== undefined ? { userId: props[K.userId] } : {}),
      ack: ACKS.includes(ack) ? (ack as C2DAck) : 'none',
      properties: Object.fromEntries(Object.entries(props).filter(([k]) => !system.has(k))),
      enqueuedTime: now,
      expiry: exp && !Number.isNaN(exp.getTime()) ? exp : new Date(now.getTime() + this.options.ttlSeconds * 1000),
      deliveryCount: 0,
    };
  }

  /** Locks and returns the oldest available message, or undefined when none is. */
  receive(deviceId: string): C2DDelivery | undefined {
    const e = this.live(deviceId).find((x) => !x.lock);
    if (!e) return undefined;
    const until = this.now().getTime() + this.options.lockTimeoutSeconds * 1000;
    e.lock = { token: crypto.randomUUID(), until };
    return { ...e.msg, lockToken: e.lock.token, lockedUntil: new Date(until) };
  }

  complete(deviceId: string, lockToken: string): C2DSettled {
    return this.settle(deviceId, lockToken, 'complete');
  }

  reject(deviceId: string, lockToken: string): C2DSettled {
    return this.settle(deviceId, lockToken, 'reject');
  }

  abandon(deviceId: string, lockToken: string): C2DSettled {
    return this.settle(deviceId, lockToken, 'abandon');
  }

  /** Settles a locked message by its lock token (a token whose lock ran out is lost, as in IoT Hub). */
  settle(deviceId: string, lockToken: string, how: C2DSettle): C2DSettled {
    const q = this.live(deviceId);
    const i = q.findIndex((x) => x.lock?.token === lockToken);
    if (i < 0)
      return {
        ok: false,
        errorCode: 412020,
        code: 'DeviceMessageLockLost',
        message: `lock token ${lockToken} of ${deviceId} is unknown, settled already, or its lock expired`,
      };
    const e = q[i]!;
    if (how === 'abandon') {
      this.release(q, e);
      this.notify(deviceId);
    } else {
      q.splice(i, 1);
      this.record(e.msg, how === 'complete' ? 'Success' : 'Rejected');
    }
    return { ok: true, message: { ...e.msg } };
  }

  /** Messages in the queue (available and locked), oldest first. */
  list(deviceId: string): Array<C2DMessage & { locked: boolean }> {
    return this.live(deviceId).map((e) => ({ ...e.msg, locked: !!e.lock }));
  }

  depth(deviceId: string): number {
    return this.live(deviceId).length;
  }

  /** Applies expiry and lock timeouts to every queue (they are otherwise applied when a queue is touched). */
  sweep(): void {
    for (const id of [...this.queues.keys()]) this.live(id);
  }

  /** Drops a device's queue (device deleted); its messages get feedback `Purged`. */
  purge(deviceId: string): number {
    const q = this.queues.get(deviceId) ?? [];
    for (const e of q) this.record(e.msg, 'Purged');
    this.queues.delete(deviceId);
    return q.length;
  }

  /**
   * Calls `listener` whenever a message of the device may have become available (enqueued,
   * abandoned, or found with its lock expired). Returns the unsubscribe function.
   */
  onAvailable(deviceId: string, listener: () => void): () => void {
    let set = this.listeners.get(deviceId);
    if (!set) this.listeners.set(deviceId, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }

  private notify(deviceId: string): void {
    for (const l of [...(this.listeners.get(deviceId) ?? [])]) l();
  }

  /** The device's queue with expired messages dead-lettered and expired locks given back. */
  private live(deviceId: string): Entry[] {
    let q = this.queues.get(deviceId);
    if (!q) this.queues.set(deviceId, (q = []));
    const now = this.now().getTime();
    let released = false;
    for (const e of [...q]) {
      if (e.msg.expiry.getTime() <= now) {
        q.splice(q.indexOf(e), 1);
        this.record(e.msg, 'Expired');
      } else if (e.lock && e.lock.until <= now) {
        this.release(q, e);
        released = true;
      }
    }
    if (released) this.notify(deviceId);
    return q;
  }

  /** Back to available with one more delivery, or dead-lettered past maxDeliveryCount. */
  private release(q: Entry[], e: Entry): void {
    delete e.lock;
    e.msg.deliveryCount += 1;
    if (e.msg.deliveryCount <= this.options.maxDeliveryCount) return;
    q.splice(q.indexOf(e), 1);
    this.record(e.msg, 'DeliveryCountExceeded');
  }

  private record(m: C2DMessage, statusCode: C2DFeedbackStatus): void {
    if (!wants(m.ack, statusCode)) return;
    this.feedback.add({
      originalMessageId: m.messageId,
      deviceId: m.deviceId,
      statusCode,
      description: statusCode,
      enqueuedTimeUtc: this.now().toISOString(),
    });
  }
}
