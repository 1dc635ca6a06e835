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
import {
  authorizeDeviceLink,
  authorizeServiceLink,
  judgePutToken,
  readPutToken,
  type Claim,
  type LinkVerdict,
} from './cbs.js';
import type { AmqpBehaviour, AmqpLink } from './connection.js';
import { AmqpDevice } from './device.js';
import { ExpiryTimer } from './expiry.js';
import { asMessage } from './messages.js';
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

/** An audience as the SDKs send it (URL-encoded sr) in a form people read. */
function readable(audience: string): string {
  try {
    return decodeURIComponent(audience);
  } catch {
    return audience;
  }
}

export class IotHubAmqp {
  private readonly claims = new Map<string, Claim>();
  private readonly identities = new Map<string, AmqpDevice>();
  private readonly routes = new Map<Link, Route>();
  private readonly cbsSenders = new Set<Sender>();
  private readonly expiry: ExpiryTimer;

  constructor(
    private readonly ctx: SessionContext,
    private readonly amqp: AmqpLink,
  ) {
    this.expiry = new ExpiryTimer(ctx.bus, ctx.now, () => this.sweep());
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
      if (role === 'sender') this.cbsSenders.add(link as Sender);
      return { address: a, ...(role === 'receiver' ? { message: (e: EventContext) => this.putToken(e) } : {}) };
    }
    if (a.kind === 'service-c2d' || a.kind === 'service-feedback') {
      const v = authorizeServiceLink(this.ctx.devices, this.claims.values(), this.ctx.now());
      if (!v.ok) return { refused: { condition: 'amqp:unauthorized-access', description: v.reason }, verdict: v };
      return a.kind === 'service-c2d' ? this.serviceC2DRoute(a, v.via) : this.feedbackRoute(a, link as Sender, v.via);
    }
    if (a.kind === 'unknown') return { refused: { condition: 'amqp:not-found', description: a.why } };
    const v = authorizeDeviceLink(this.ctx.devices, this.claims.values(), a, {
      peerCert: this.ctx.established.peerCert,
      hubHost: this.hubHost(),
      now: this.ctx.now(),
    });
    if (!v.ok) return { refused: { condition: 'amqp:unauthorized-access', description: v.reason }, verdict: v };
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
      });
      this.identities.set(id.linkId, d);
    }
    return d;
  }

  private hubHost(): string {
    const open = (this.amqp.connection as unknown as { remote?: { open?: { hostname?: string } } }).remote?.open;
    return open?.hostname ?? this.ctx.endpoint.hostnames[0] ?? '';
  }

  private putToken(e: EventContext): void {
    e.delivery!.accept();
    const req = readPutToken(e.message!);
    const ans =
      'error' in req
        ? { status: 400 as const, description: req.error }
        : judgePutToken(this.ctx.devices, req, this.ctx.now());
    const reply = this.cbsReplyLink('error' in req ? undefined : req.replyTo);
    reply?.send(
      asMessage({
        ...('error' in req ? {} : { to: req.replyTo, correlation_id: req.messageId }),
        application_properties: { 'status-code': ans.status, 'status-description': ans.description },
      }),
    );
    const claim = 'claim' in ans ? ans.claim : undefined;
    const renewed = claim && this.claims.has(claim.key);
    if (claim) this.claims.set(claim.key, claim);
    const who = claim?.scope.kind === 'device' ? claim.scope.identity : undefined;
    if (who) this.identity(who).register(ans.description.replace(/^OK: /, ''), 'sas');
    this.expiry.arm(this.earliest());
    const refusal = 'refusal' in ans ? ans.refusal : undefined;
    this.event({
      action: 'put-token',
      ok: ans.status === 200,
      status: ans.status,
      ...(who ? { deviceId: who.deviceId } : {}),
      ...(refusal ? { outcome: refusal.outcome, errorCode: refusal.errorCode } : {}),
      reason: `CBS put-token${renewed ? ' (renewal)' : ''}${'audience' in req ? ` for ${readable(req.audience)}` : ''}: ${ans.status} ${ans.description}`,
      detail: {
        delivered: !!reply,
        ...(claim ? { expires: claim.expires.toISOString(), scope: claim.scope.kind } : {}),
      },
    });
  }

  /** The $cbs link whose target is the request's reply_to, else the newest open one. */
  private cbsReplyLink(replyTo: string | undefined): Sender | undefined {
    const open = [...this.cbsSenders].filter((s) => s.is_open()).reverse();
    const target = (s: Sender) => (s.target as { address?: string } | undefined)?.address;
    return open.find((s) => replyTo !== undefined && target(s) === replyTo) ?? open[0];
  }

  private earliest(): Date | undefined {
    const times = [...this.claims.values()].map((c) => c.expires.getTime());
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  /** Claims past their expiry (scenario clock): the links they authorized are closed. */
  private sweep(): void {
    const now = this.ctx.now().getTime();
    for (const c of [...this.claims.values()].filter((x) => x.expires.getTime() <= now)) {
      this.claims.delete(c.key);
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
    this.expiry.arm(this.earliest());
  }

  private detached(link: Link): void {
    const r = this.routes.get(link);
    this.routes.delete(link);
    this.cbsSenders.delete(link as Sender);
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
