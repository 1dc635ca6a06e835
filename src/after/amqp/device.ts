/**
 * One device or module identity on an AMQP connection (a connection may carry several, each with
 * its own CBS token): its links, the DeviceLink the service side reaches it by (direct methods over
 * the methods link, desired pushes over the twin link that asked for them), and its C2D delivery.
 */
import type { Delivery, EventContext, Message, Receiver, Sender } from 'rhea';

type Link = Sender | Receiver;
import type { DeviceLink } from '../../core/links.js';
import type { DeviceRegistry } from '../../core/registry.js';
import { clip, type SessionFields } from '../events.js';
import type { DeviceIdentity } from './addresses.js';
import { AmqpC2D } from './device-c2d.js';
import { asMessage, bodyBytes, bodyText, dataBody, idText, jsonBody, telemetryProperties } from './messages.js';
import { desiredPush, twinRequest } from './twin.js';

/** IoT Hub's device-to-cloud message limit. */
export const D2C_BODY_LIMIT = 256 * 1024;
export const METHOD_NAME = 'IoThub-methodname';
export const METHOD_STATUS = 'IoThub-status';
const CHANNEL = 'com.microsoft:channel-correlation-id';

/** The channel a link belongs to (twin and methods pair a sending and a receiving link by it). */
export function channelOf(link: Link): string {
  const props = (link as unknown as { remote?: { attach?: { properties?: Record<string, unknown> } } }).remote?.attach
    ?.properties;
  return String(props?.[CHANNEL] ?? '');
}

export interface DeviceHost {
  devices: DeviceRegistry;
  conn: number;
  transport: 'amqp' | 'amqp-ws';
  now(): Date;
  event(fields: SessionFields): void;
  /** Ends this identity's presence on the connection (another connection took it over, or it was disabled). */
  drop(id: DeviceIdentity, reason: string): void;
  /** A telemetry message's properties, for in-band fault injection. */
  inband(id: DeviceIdentity, properties: Record<string, string>): void;
}

export class AmqpDevice {
  readonly links = new Set<Link>();
  private readonly twinSenders = new Map<string, Sender>();
  private desired?: Sender;
  private methods?: Sender;
  private c2d?: AmqpC2D;
  private registered?: DeviceLink;

  constructor(
    readonly id: DeviceIdentity,
    private readonly host: DeviceHost,
  ) {}

  private event(fields: SessionFields): void {
    this.host.event({ deviceId: this.id.deviceId, ...fields });
  }

  /** Makes the identity reachable by the service (DeviceLinks); once per connection. */
  register(detail: string, auth: string): void {
    if (this.registered) return;
    const link: DeviceLink = {
      conn: this.host.conn,
      transport: this.host.transport,
      method: (name, rid, payload) => this.callMethod(name, rid, payload),
      desired: (patch) => this.pushDesired(patch),
      close: (reason) => this.host.drop(this.id, reason),
    };
    this.registered = link;
    this.host.devices.links.attach(this.id.linkId, link);
    this.host.devices.touch(this.id.deviceId);
    this.event({
      action: 'connect',
      ok: true,
      reason: `${this.id.moduleId ? `module ${this.id.linkId}` : `device ${this.id.deviceId}`} connected over AMQP: ${detail}`,
      detail: { auth, ...(this.id.moduleId ? { moduleId: this.id.moduleId } : {}) },
    });
  }

  unregister(reason: string): void {
    this.c2d?.stop(reason);
    this.c2d = undefined;
    if (!this.registered) return;
    this.host.devices.links.detach(this.id.linkId, this.registered);
    this.registered = undefined;
  }

  get connected(): boolean {
    return !!this.registered;
  }

  attachSender(kind: string, s: Sender): void {
    this.links.add(s);
    if (kind === 'c2d') {
      this.c2d?.stop('a newer C2D link attached');
      this.c2d = new AmqpC2D(this.id.deviceId, this.host.devices.c2d, s, (f) => this.event(f));
    } else if (kind === 'twin') this.twinSenders.set(channelOf(s), s);
    else if (kind === 'methods') {
      this.methods = s;
      this.host.devices.links.ready(this.id.linkId); // a call waiting for this device can go out now
    }
  }

  attachReceiver(r: Receiver): void {
    this.links.add(r);
  }

  linkClosed(link: Link): void {
    this.links.delete(link);
    if (this.isC2D(link as Sender)) {
      this.c2d?.stop('the C2D link closed');
      this.c2d = undefined;
    }
    if (link === this.methods) this.methods = undefined;
    if (link === this.desired) this.desired = undefined;
    for (const [k, s] of this.twinSenders) if (s === link) this.twinSenders.delete(k);
  }

  private isC2D(s: Sender): boolean {
    return this.c2d?.sender === s;
  }

  sendable(s: Sender): void {
    if (this.isC2D(s)) this.c2d?.pump();
  }

  settled(e: EventContext, how: 'complete' | 'abandon' | 'reject', outcome: string): void {
    if (e.sender && this.isC2D(e.sender)) this.c2d?.settled(e.delivery as Delivery, how, outcome);
  }

  /** A telemetry message: recorded and accepted, or rejected over IoT Hub's 256 KiB limit. */
  telemetry(e: EventContext): void {
    const m = e.message!;
    const bytes = bodyBytes(m.body) ?? Buffer.alloc(0);
    if (bytes.length > D2C_BODY_LIMIT) {
      const description = `message of ${bytes.length} bytes is over IoT Hub's ${D2C_BODY_LIMIT}-byte device-to-cloud limit`;
      e.delivery!.reject({ condition: 'amqp:link:message-size-exceeded', description });
      return this.event({ action: 'telemetry', ok: false, reason: description });
    }
    e.delivery!.accept();
    const properties = telemetryProperties(m);
    const { body, base64 } = bodyText(bytes);
    this.host.devices.recordTelemetry(this.id.deviceId, {
      at: this.host.now().toISOString(),
      protocol: this.host.transport,
      properties,
      body,
      ...(base64 ? { base64 } : {}),
      bytes: bytes.length,
    });
    this.event({
      action: 'telemetry',
      ok: true,
      reason: `${bytes.length} bytes of telemetry from ${this.id.linkId}`,
      detail: { bytes: bytes.length, properties, body: clip(body), ...(base64 ? { base64 } : {}) },
    });
    this.host.inband(this.id, properties);
  }

  twin(r: Receiver, m: Message): void {
    const out = twinRequest(this.host.devices, this.id, m, this.host.now());
    const reply = this.twinSenders.get(channelOf(r)) ?? [...this.twinSenders.values()][0];
    if (out.subscribe === true && reply) this.desired = reply;
    if (out.subscribe === false) this.desired = undefined;
    reply?.send(out.response);
    this.event({ ...out.event, detail: { ...out.event.detail, delivered: !!reply } });
  }

  methodResponse(m: Message): void {
    const rid = idText(m.correlation_id) ?? '';
    const status = Number((m.application_properties as Record<string, unknown> | undefined)?.[METHOD_STATUS] ?? 200);
    const known = this.host.devices.links.respond(this.id.linkId, rid, { status, payload: jsonBody(m.body) ?? null });
    this.event({
      action: 'method',
      ok: known,
      status,
      reason: known
        ? `method response ${status} from ${this.id.linkId}`
        : `method response for unknown request id ${rid}`,
      detail: { rid },
    });
  }

  private callMethod(name: string, rid: string, payload: unknown): boolean {
    if (!this.methods?.is_open()) return false;
    this.methods.send(
      asMessage({
        correlation_id: rid,
        application_properties: { [METHOD_NAME]: name },
        body: dataBody(JSON.stringify(payload ?? null)),
      }),
    );
    return true;
  }

  private pushDesired(patch: Record<string, unknown>): boolean {
    if (!this.desired?.is_open()) return false;
    this.desired.send(desiredPush(patch));
    return true;
  }
}
