/**
 * IoT Hub over AMQP on one connection: links are routed by address (addresses.ts) and authorized at
 * attach from the connection's CBS claims (cbs.ts) or the TLS client certificate; an unknown address
 * is detached with amqp:not-found, an unauthorized link with amqp:unauthorized-access. Device
 * identities (device.ts) get their telemetry, C2D, twin and methods links; the service gets its C2D
 * sender and feedback receiver (service.ts). When a claim expires by the scenario clock, the links
 * it authorized are closed.
 */
import type { AmqpError, EventContext, Receiver, Sender } from 'rhea';

type Link = Sender | Receiver;
import type { SessionFields } from '../events.js';
import type { SessionContext } from '../types.js';
import { parseAddress, type Address, type DeviceIdentity, type Role } from './addresses.js';
import { authorizeDeviceLink, authorizeServiceLink, type LinkVerdict } from './cbs.js';
import { CbsNode } from './cbs-node.js';
import { inbandFault, refusal } from '../inband-faults.js';
import { amqpInbandTarget, refusalError } from './inband.js';
import type { AmqpBehaviour, AmqpLink } from './connection.js';
import { AmqpDevice } from './device.js';
import { ExpiryTimer } from './expiry.js';
import { FeedbackSender, serviceC2D } from './service.js';

type Outcome = 'accepted' | 'released' | 'rejected';
const SETTLE = { accepted: 'complete', released: 'abandon', rejected: 'reject' } as const;

interface Route {
  address: Address;
  /** The claim key (or 'x509') that authorized the link. */
  via?: string;
  device?: AmqpDevice;
  message?(e: EventContext): void;
  settled?(e: EventContext, outcome: Outcome): void;
  sendable?(): void;
  closed?(): void;
}

export class IotHubAmqp {
  private readonly identities = new Map<string, AmqpDevice>();
  private readonly routes = new Map<Link, Route>();
  private readonly expiry: ExpiryTimer;
  private readonly cbs: CbsNode;

  constructor(
    private readonly ctx: SessionContext,
    private readonly amqp: AmqpLink,
  ) {
    this.expiry = new ExpiryTimer(ctx.bus, ctx.now, () => this.sweep());
    this.cbs = new CbsNode(
      ctx,
      (f) => this.event(f),
      (id, detail) => {
        this.identity(id).register(detail, 'sas');
        this.expiry.arm(this.cbs.earliest());
      },
    );
  }

  behaviour(): AmqpBehaviour {
    return {
      on: {
        sender_open: (e) => this.attach(e.sender!, 'sender'),
        receiver_open: (e) => this.attach(e.receiver!, 'receiver'),
        sender_close: (e) => this.detached(e.sender!),
        receiver_close: (e) => this.detached(e.receiver!),
        message: (e) => this.routes.get(e.receiver!)?.message?.(e),
        accepted: (e) => this.routes.get(e.sender!)?.settled?.(e, 'accepted'),
        released: (e) => this.routes.get(e.sender!)?.settled?.(e, 'released'),
        rejected: (e) => this.routes.get(e.sender!)?.settled?.(e, 'rejected'),
        sendable: (e) => this.routes.get(e.sender!)?.sendable?.(),
      },
      closed: (reason) => this.closed(reason),
      deviceId: () => {
        const ids = new Set([...this.identities.values()].map((d) => d.id.deviceId));
        return ids.size === 1 ? [...ids][0] : undefined;
      },
    };
  }

  private event(fields: SessionFields): void {
    this.amqp.event(fields);
  }

  private attach(link: Sender | Receiver, role: Role): void {
    const terminus = role === 'sender' ? link.source : link.target;
    const address = (terminus as { address?: string } | undefined)?.address;
    const a = parseAddress(address, role);
    if (a.kind === 'unknown') return this.refuse(link, { condition: 'amqp:not-found', description: a.why }, address);
    const route = this.route(a, link, role);
    if ('refused' in route) return this.refuse(link, route.refused, address, route.verdict);
    if (role === 'sender') link.set_source({ address: address! });
    else link.set_target({ address: address! });
    this.routes.set(link, route);
    this.event({
      action: 'attach',
      ok: true,
      ...('deviceId' in a ? { deviceId: a.deviceId } : {}),
      reason: `${role === 'sender' ? 'receiving' : 'sending'} link attached on ${address}`,
      detail: { address, kind: a.kind, ...(route.via ? { auth: route.via === 'x509' ? 'x509' : 'cbs' } : {}) },
    });
  }

  private refuse(
    link: Link,
    error: AmqpError,
    address: string | undefined,
    v?: Extract<LinkVerdict, { ok: false }>,
  ): void {
    link.close(error);
    this.event({
      action: 'attach',
      ok: false,
      reason: `link on ${address ?? '(no address)'} refused with ${error.condition}: ${error.description}`,
      detail: { address, condition: error.condition },
      ...(v ? { outcome: v.outcome, errorCode: v.errorCode } : {}),
    });
  }

  private route(
    a: Address,
    link: Sender | Receiver,
    role: Role,
  ): Route | { refused: AmqpError; verdict?: Extract<LinkVerdict, { ok: false }> } {
    if (a.kind === 'cbs') {
      if (role === 'sender') this.cbs.addSender(link as Sender);
      const putToken = (e: EventContext) => (this.cbs.putToken(e), this.expiry.arm(this.cbs.earliest()));
      return { address: a, ...(role === 'receiver' ? { message: putToken } : {}) };
    }
    if (a.kind === 'service-c2d' || a.kind === 'service-feedback') {
      const v = authorizeServiceLink(this.ctx.devices, this.cbs.claims.values(), this.ctx.now());
      if (!v.ok) return { refused: { condition: 'amqp:unauthorized-access', description: v.reason }, verdict: v };
      return a.kind === 'service-c2d' ? this.serviceC2DRoute(a, v.via) : this.feedbackRoute(a, link as Sender, v.via);
    }
    if (a.kind === 'unknown') return { refused: { condition: 'amqp:not-found', description: a.why } };
    const v = authorizeDeviceLink(this.ctx.devices, this.cbs.claims.values(), a, {
      peerCert: this.ctx.established.peerCert,
      hubHost: this.hubHost(),
      now: this.ctx.now(),
    });
    if (!v.ok) return { refused: { condition: 'amqp:unauthorized-access', description: v.reason }, verdict: v };
    const r = refusal(this.ctx.devices, a.deviceId);
    if (r) return { refused: refusalError(r, `link of ${a.linkId} refused`) };
    const device = this.identity(a);
    device.register(v.detail, v.via === 'x509' ? 'x509' : 'sas');
    return { ...this.deviceRoute(a.kind, device, link, role), address: a, via: v.via, device };
  }

  private deviceRoute(kind: string, device: AmqpDevice, link: Sender | Receiver, role: Role): Omit<Route, 'address'> {
    if (role === 'sender') {
      device.attachSender(kind, link as Sender);
      return {
        sendable: () => device.sendable(link as Sender),
        settled: (e, outcome) => device.settled(e, SETTLE[outcome], outcome),
      };
    }
    device.attachReceiver(link as Receiver);
    if (kind === 'telemetry') return { message: (e) => device.telemetry(e) };
    if (kind === 'twin') return { message: (e) => (e.delivery!.accept(), device.twin(link as Receiver, e.message!)) };
    return { message: (e) => (e.delivery!.accept(), device.methodResponse(e.message!)) };
  }

  private serviceC2DRoute(address: Address, via: string): Route {
    return { address, via, message: (e) => serviceC2D(this.ctx.devices, e, (f) => this.event(f)) };
  }

  private feedbackRoute(address: Address, sender: Sender, via: string): Route {
    const f = new FeedbackSender(sender, this.ctx.devices, (x) => this.event(x));
    return {
      address,
      via,
      sendable: () => f.schedule(),
      settled: (e, o) => f.settled(e.delivery!, o),
      closed: () => f.stop(),
    };
  }

  private identity(id: DeviceIdentity): AmqpDevice {
    let d = this.identities.get(id.linkId);
    if (!d) {
      d = new AmqpDevice(id, {
        devices: this.ctx.devices,
        conn: this.ctx.conn,
        transport: this.amqp.protocol,
        now: () => this.ctx.now(),
        event: (f) => this.event(f),
        drop: (who, reason) => this.drop(who, reason),
        inband: (who, props) =>
          inbandFault(
            this.ctx,
            who.deviceId,
            props,
            amqpInbandTarget(this.ctx, this.amqp, (l) => this.killLink(who, l)),
          ),
      });
      this.identities.set(id.linkId, d);
    }
    return d;
  }

  private hubHost(): string {
    const open = (this.amqp.connection as unknown as { remote?: { open?: { hostname?: string } } }).remote?.open;
    return open?.hostname ?? this.ctx.endpoint.hostnames[0] ?? '';
  }

  /** In-band link faults: detaches this identity's links of one kind ($cbs: the connection's). */
  private killLink(id: DeviceIdentity, which: string): boolean {
    const [kind, dir] = which.split('-');
    const links = [...this.routes]
      .filter(([l, r]) => r.address.kind === kind && (dir === 'out') === l.is_sender())
      .filter(([, r]) => kind === 'cbs' || r.device?.id.linkId === id.linkId)
      .map(([l]) => l);
    const description = `in-band fault: the hub detached the ${which} link`;
    for (const l of links) l.close({ condition: 'amqp:link:detach-forced', description });
    return links.length > 0;
  }

  /** Claims past their expiry (scenario clock): the links they authorized are closed. */
  private sweep(): void {
    for (const c of this.cbs.expired(this.ctx.now())) {
      const description = `the CBS token for ${c.key} expired at ${c.expires.toISOString()}`;
      const links = [...this.routes].filter(([, r]) => r.via === c.key).map(([l]) => l);
      for (const l of links) l.close({ condition: 'amqp:unauthorized-access', description });
      if (c.scope.kind === 'device') this.identities.get(c.scope.identity.linkId)?.unregister(description);
      this.event({
        action: 'detach',
        ok: false,
        ...(c.scope.kind === 'device' ? { deviceId: c.scope.identity.deviceId } : {}),
        reason: `${description} (scenario clock): ${links.length} link(s) closed with amqp:unauthorized-access`,
      });
    }
    this.expiry.arm(this.cbs.earliest());
  }

  private detached(link: Link): void {
    const r = this.routes.get(link);
    this.routes.delete(link);
    this.cbs.removeSender(link as Sender);
    if (!r) return;
    r.closed?.();
    r.device?.linkClosed(link);
    const error = (link as unknown as { remote?: { detach?: { error?: AmqpError } } }).remote?.detach?.error;
    this.event({
      action: 'detach',
      ok: true,
      ...(r.device ? { deviceId: r.device.id.deviceId } : {}),
      reason: `link on ${link.name} detached by the peer${error ? ` (${error.condition})` : ''}`,
      detail: { kind: r.address.kind },
    });
  }

  /** DeviceLink.close: another connection took the identity over, or the registry disabled it. */
  private drop(id: DeviceIdentity, reason: string): void {
    const device = this.identities.get(id.linkId);
    if (!device) return;
    if (this.identities.size === 1) return this.amqp.fail({ condition: 'amqp:connection:forced', description: reason });
    for (const l of device.links) l.close({ condition: 'amqp:link:detach-forced', description: reason });
    device.unregister(reason);
    this.identities.delete(id.linkId);
  }

  private closed(reason: string): void {
    this.expiry.stop();
    for (const r of this.routes.values()) r.closed?.();
    this.routes.clear();
    for (const d of this.identities.values()) d.unregister(`the connection closed (${reason})`);
  }
}
