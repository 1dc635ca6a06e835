/**
 * IoT Hub semantics over MQTT: CONNECT with username `{hub}/{deviceId}/?api-version=…` judged by
 * the registry (SAS password or the TLS client certificate), telemetry on
 * `devices/{id}/messages/events/…`, twin GET / reported PATCH, direct-method responses; cloud-to-device
 * messages from the device's queue (c2d.ts); and the device link the service side uses for methods
 * and desired-property pushes.
 */
import type { IConnectPacket, IPublishPacket, QoS } from 'mqtt-packet';
import { authenticateDevice, authenticateModule } from '../../core/auth.js';
import { patchModuleReported } from '../../core/module-api.js';
import { isPatch } from '../../core/twin.js';
import { moduleLinkId, type DeviceLink } from '../../core/links.js';
import { clip, publishSession, type SessionFields } from '../events.js';
import type { SessionContext } from '../types.js';
import { inbandFault, refusal } from '../inband-faults.js';
import { MqttC2D } from './c2d.js';
import { mqttInbandTarget } from './inband.js';
import type { MqttBehaviour, MqttSession, MqttTransport } from './session.js';
import { takeWithheld, type WithheldAck } from './withhold.js';
import { armTokenExpiry, sasExpiry } from './token-expiry.js';
import { bodyText, encodeProperties, parseQuery } from './topics.js';

export const CONNACK = {
  accepted: 0,
  badProtocol: 1,
  identifierRejected: 2,
  badUsernameOrPassword: 4,
  notAuthorized: 5,
} as const;

/** `{host}/{deviceId}/?api-version=…` (the SDKs' form), or `{host}/{deviceId}/{moduleId}/?api-version=…` for a module. */
export function parseHubUsername(
  username: string | undefined,
): { hubHost: string; deviceId: string; moduleId?: string } | undefined {
  if (!username) return undefined;
  const path = username.split('?')[0]!;
  const [hubHost, deviceId, moduleId] = path.split('/').filter((s) => s.length > 0);
  if (!hubHost || !deviceId) return undefined;
  return { hubHost, deviceId, ...(moduleId && !moduleId.startsWith('api-version') ? { moduleId } : {}) };
}

export class IotHubMqtt implements MqttBehaviour {
  private deviceId?: string;
  private moduleId?: string;
  private link?: DeviceLink;
  private c2d?: MqttC2D;
  private disarmExpiry?: () => void;

  /** The link id the service reaches this connection by: the device id, or `{device}/{module}`. */
  private get linkId(): string {
    return this.moduleId ? moduleLinkId(this.deviceId!, this.moduleId) : this.deviceId!;
  }

  /** The topic segment after `devices/`: `{device}` or `{device}/modules/{module}`. */
  private get topicId(): string {
    return this.moduleId ? `${this.deviceId}/modules/${this.moduleId}` : this.deviceId!;
  }

  private module() {
    return this.moduleId ? this.ctx.devices.get(this.deviceId!)?.modules.get(this.moduleId) : undefined;
  }

  constructor(
    private readonly ctx: SessionContext,
    private readonly session: MqttSession,
    /** 'mqtt' on the TLS stream, 'mqtt-ws' inside a WebSocket on the HTTPS port. */
    private readonly protocol: MqttTransport,
  ) {}

  private event(fields: SessionFields): void {
    publishSession(this.ctx, this.protocol, { deviceId: this.deviceId, ...fields });
  }

  connect(p: IConnectPacket): number {
    const u = parseHubUsername(p.username);
    if (!u)
      return this.refuse(
        CONNACK.badUsernameOrPassword,
        `username '${p.username ?? ''}' is not {hub}/{deviceId}[/{moduleId}]/?api-version=…`,
      );
    this.deviceId = u.deviceId;
    this.moduleId = u.moduleId;
    if (p.clientId !== this.linkId)
      return this.refuse(
        CONNACK.identifierRejected,
        `client id '${p.clientId}' is not the ${u.moduleId ? 'device/module' : 'device'} id '${this.linkId}' of the username`,
      );
    const creds = {
      deviceId: u.deviceId,
      hubHost: u.hubHost,
      sas: p.password?.toString('utf8'),
      peerCert: this.ctx.established.peerCert,
      now: this.ctx.now(),
    };
    const v = u.moduleId
      ? authenticateModule(this.ctx.devices, { ...creds, moduleId: u.moduleId })
      : authenticateDevice(this.ctx.devices, creds);
    if (!v.ok) return this.refuse(CONNACK.notAuthorized, v.reason, v.outcome, v.errorCode);
    const r = refusal(this.ctx.devices, u.deviceId);
    if (r)
      return this.refuse(
        r.connack,
        `in-band fault ${r.type} in force for ${u.deviceId} until ${new Date(r.until).toISOString()}: CONNACK ${r.connack}`,
        undefined,
        r.http.errorCode,
      );
    this.link = this.makeLink();
    this.ctx.devices.links.attach(this.linkId, this.link);
    const expiry = v.method === 'sas' || v.method === 'policy' ? sasExpiry(creds.sas) : undefined;
    if (expiry) this.disarmExpiry = armTokenExpiry(this.ctx, expiry, (r) => this.session.close(r));
    this.ctx.devices.touch(u.deviceId);
    this.event({
      action: 'connect',
      ok: true,
      status: CONNACK.accepted,
      reason: `${u.moduleId ? `module ${this.linkId}` : `device ${u.deviceId}`} connected to ${u.hubHost}: ${v.detail}`,
      detail: {
        auth: v.method,
        hubHost: u.hubHost,
        keepalive: p.keepalive,
        ...(expiry
          ? { sasExpiry: new Date(expiry * 1000).toISOString(), sasValidMs: expiry * 1000 - +this.ctx.now() }
          : {}),
        ...(u.moduleId ? { moduleId: u.moduleId } : {}),
      },
    });
    return CONNACK.accepted;
  }

  private refuse(code: number, reason: string, outcome?: SessionFields['outcome'], errorCode?: number): number {
    this.event({
      action: 'connect',
      ok: false,
      status: code,
      reason,
      ...(outcome ? { outcome } : {}),
      ...(errorCode ? { errorCode } : {}),
    });
    return code;
  }

  publish(topic: string, payload: Buffer, p?: IPublishPacket): void {
    const id = this.deviceId!;
    const events = `devices/${this.topicId}/messages/events`;
    if (topic.startsWith(events)) return this.telemetry(topic.slice(events.length), payload, p);
    if (topic.startsWith('$iothub/twin/GET/')) return this.twinGet(parseQuery(topic.slice('$iothub/twin/GET/'.length)));
    if (topic.startsWith('$iothub/twin/PATCH/properties/reported/'))
      return this.twinPatch(parseQuery(topic.slice('$iothub/twin/PATCH/properties/reported/'.length)), payload);
    const method = /^\$iothub\/methods\/res\/(\d+)\/\?(.*)$/.exec(topic);
    if (method) return this.methodResponse(Number(method[1]), parseQuery(method[2]!), payload);
    this.event({
      action: 'request',
      ok: false,
      reason: `PUBLISH to '${topic}', which IoT Hub does not accept from device ${id}: connection closed`,
    });
    this.session.close(`unsupported topic ${topic}`, true);
  }

  private telemetry(rest: string, payload: Buffer, p?: IPublishPacket): void {
    const properties = parseQuery(rest.replace(/^\//, ''));
    const { body, base64 } = bodyText(payload);
    this.ctx.devices.recordTelemetry(this.deviceId!, {
      at: this.ctx.now().toISOString(),
      protocol: this.protocol,
      properties,
      body,
      ...(base64 ? { base64 } : {}),
      bytes: payload.length,
    });
    this.event({
      action: 'telemetry',
      ok: true,
      reason: `${payload.length} bytes of telemetry from ${this.deviceId}`,
      detail: {
        bytes: payload.length,
        properties,
        body: clip(body),
        ...(base64 ? { base64 } : {}),
        ...(p ? { qos: p.qos, messageId: p.messageId, dup: p.dup } : {}),
      },
    });
    inbandFault(this.ctx, this.deviceId!, properties, mqttInbandTarget(this.ctx, this.session));
  }

  private reply(kind: 'twin' | 'methods', status: number, query: Record<string, string>, body: unknown): boolean {
    return this.session.deliver(
      `$iothub/${kind}/res/${status}/?${encodeProperties(query)}`,
      body === undefined ? '' : JSON.stringify(body),
    );
  }

  private twinGet(q: Record<string, string>): void {
    const twin = this.moduleId ? this.module()?.twin : this.ctx.devices.get(this.deviceId!)?.twin;
    const delivered = this.reply('twin', 200, { $rid: q.$rid ?? '' }, twin);
    this.event({
      action: 'twin-get',
      ok: true,
      status: 200,
      reason: `twin of ${this.deviceId} sent (desired $version ${twin?.desired.$version})`,
      detail: { rid: q.$rid, delivered },
    });
  }

  private twinPatch(q: Record<string, string>, payload: Buffer): void {
    let patch: unknown;
    try {
      patch = JSON.parse(payload.toString('utf8'));
    } catch {
      patch = undefined;
    }
    if (!isPatch(patch)) {
      this.reply(
        'twin',
        400,
        { $rid: q.$rid ?? '' },
        { errorCode: 400004, message: 'reported properties must be a JSON object' },
      );
      return this.event({
        action: 'twin-patch',
        ok: false,
        status: 400,
        errorCode: 400004,
        reason: `reported-properties patch from ${this.deviceId} is not a JSON object`,
      });
    }
    const mod = this.module();
    const version = mod
      ? patchModuleReported(mod, patch, this.ctx.now())
      : this.ctx.devices.patchReported(this.deviceId!, patch);
    this.reply('twin', 204, { $rid: q.$rid ?? '', $version: String(version) }, undefined);
    this.event({
      action: 'twin-patch',
      ok: true,
      status: 204,
      reason: `reported properties of ${this.deviceId} now at $version ${version}`,
      detail: { patch },
    });
  }

  private methodResponse(status: number, q: Record<string, string>, payload: Buffer): void {
    let body: unknown = payload.toString('utf8');
    try {
      body = JSON.parse(body as string);
    } catch {
      // not JSON: keep the text
    }
    const known = this.ctx.devices.links.respond(this.linkId, q.$rid ?? '', { status, payload: body });
    this.event({
      action: 'method',
      ok: known,
      status,
      reason: known
        ? `method response ${status} from ${this.deviceId}`
        : `method response for unknown request id ${q.$rid}`,
      detail: { rid: q.$rid },
    });
  }

  subscribe(filter: string, qos: QoS): number {
    const id = this.deviceId!;
    const allowed: Record<string, QoS> = {
      [this.moduleId ? `devices/${this.topicId}/inputs/#` : `devices/${id}/messages/devicebound/#`]: qos,
      '$iothub/twin/res/#': 0,
      '$iothub/twin/PATCH/properties/desired/#': 0,
      '$iothub/methods/POST/#': 0,
    };
    const granted = allowed[filter] ?? 128;
    // A method call waiting for this device (connectTimeoutInSeconds) can go out now.
    if (granted !== 128 && filter === '$iothub/methods/POST/#') this.ctx.devices.links.ready(this.linkId);
    this.event({
      action: 'subscribe',
      ok: granted !== 128,
      reason: `${granted === 128 ? 'refused' : 'granted'} subscription to ${filter}`,
      detail: { filter, granted },
    });
    return granted;
  }

  subscribed(filters: string[]): void {
    const id = this.deviceId!;
    if (!filters.includes(`devices/${id}/messages/devicebound/#`)) return;
    this.c2d ??= new MqttC2D(id, this.ctx.devices.c2d, this.session, (f) => this.event(f));
    this.c2d.start();
  }

  withhold(ack: WithheldAck, messageId?: number): boolean {
    if (!this.deviceId || !takeWithheld(this.ctx.devices, this.deviceId, ack)) return false;
    const what = `${ack.toUpperCase()}${messageId === undefined ? '' : ` for packet id ${messageId}`}`;
    this.event({
      action: 'request',
      ok: true,
      reason: `${what} withheld (qualification case)`,
      detail: { withheld: ack, messageId },
    });
    return true;
  }

  closed(reason: string, violation: boolean): void {
    this.disarmExpiry?.();
    if (this.link) this.ctx.devices.links.detach(this.linkId, this.link);
    this.c2d?.stop();
    if (!this.link && !violation) return; // a refused CONNECT was reported already
    this.event({
      action: 'disconnect',
      ok: !violation,
      reason: `${this.deviceId ? `device ${this.deviceId}` : 'connection'} closed: ${reason}`,
    });
  }

  private makeLink(): DeviceLink {
    const s = this.session;
    return {
      conn: this.ctx.conn,
      transport: this.protocol,
      method: (name, rid, payload) =>
        s.deliver(`$iothub/methods/POST/${name}/?$rid=${rid}`, JSON.stringify(payload ?? null)),
      desired: (patch) =>
        s.deliver(`$iothub/twin/PATCH/properties/desired/?$version=${String(patch.$version)}`, JSON.stringify(patch)),
      close: (reason) => s.close(reason),
    };
  }
}
