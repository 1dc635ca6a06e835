/**
 * DPS semantics over MQTT: CONNECT with username `{idScope}/registrations/{registrationId}/api-version=…`
 * (SAS password signed for `{idScope}/registrations/{registrationId}`, or the TLS client
 * certificate), then `$dps/registrations/PUT/iotdps-register/?$rid=` → 202 with retry-after, and
 * `$dps/registrations/GET/iotdps-get-operationstatus/?$rid=…&operationId=…` → 200 "assigned".
 */
import type { IConnectPacket, QoS } from 'mqtt-packet';
import type { Attested } from '../../core/dps.js';
import { publishSession, type SessionFields } from '../events.js';
import type { SessionContext } from '../types.js';
import type { DpsSettings } from '../dps-options.js';
import { CONNACK } from './iothub.js';
import type { MqttBehaviour, MqttSession, MqttTransport } from './session.js';
import { encodeProperties, parseQuery } from './topics.js';

export function parseDpsUsername(
  username: string | undefined,
): { idScope: string; registrationId: string } | undefined {
  const m = /^([^/]+)\/registrations\/([^/]+)\/(?:\?)?api-version=/.exec(username ?? '');
  return m ? { idScope: m[1]!, registrationId: m[2]! } : undefined;
}

const REGISTER = '$dps/registrations/PUT/iotdps-register/';
const STATUS = '$dps/registrations/GET/iotdps-get-operationstatus/';

export class DpsMqtt implements MqttBehaviour {
  private registrationId?: string;
  private attested?: Attested;

  constructor(
    private readonly ctx: SessionContext,
    private readonly session: MqttSession,
    private readonly options: DpsSettings,
    /** 'mqtt' on the TLS stream, 'mqtt-ws' inside a WebSocket on the HTTPS port. */
    private readonly protocol: MqttTransport,
  ) {}

  private event(fields: SessionFields): void {
    publishSession(this.ctx, this.protocol, { registrationId: this.registrationId, ...fields });
  }

  connect(p: IConnectPacket): number {
    const u = parseDpsUsername(p.username);
    if (!u)
      return this.refuse(
        CONNACK.badUsernameOrPassword,
        `username '${p.username ?? ''}' is not {idScope}/registrations/{registrationId}/api-version=…`,
      );
    this.registrationId = u.registrationId;
    if (p.clientId !== u.registrationId)
      return this.refuse(
        CONNACK.identifierRejected,
        `client id '${p.clientId}' is not the registration id '${u.registrationId}'`,
      );
    const v = this.ctx.devices.dps.attest({
      ...u,
      sas: p.password?.toString('utf8'),
      peerCert: this.ctx.established.peerCert,
      now: this.ctx.now(),
    });
    if (!v.ok) {
      this.event({
        action: 'connect',
        ok: false,
        status: CONNACK.notAuthorized,
        outcome: v.outcome,
        errorCode: v.errorCode,
        reason: v.reason,
      });
      return CONNACK.notAuthorized;
    }
    this.attested = v;
    this.event({
      action: 'connect',
      ok: true,
      status: CONNACK.accepted,
      reason: `registration ${u.registrationId} attested: ${v.detail}`,
      detail: { enrollment: `${v.enrollment.kind}:${v.enrollment.id}` },
    });
    return CONNACK.accepted;
  }

  private refuse(code: number, reason: string): number {
    this.event({ action: 'connect', ok: false, status: code, reason });
    return code;
  }

  private respond(status: number, query: Record<string, string>, body: unknown): void {
    this.session.deliver(`$dps/registrations/res/${status}/?${encodeProperties(query)}`, JSON.stringify(body));
  }

  publish(topic: string, payload: Buffer): void {
    if (topic.startsWith(REGISTER)) return this.register(parseQuery(topic.slice(REGISTER.length)), payload);
    if (topic.startsWith(STATUS)) return this.status(parseQuery(topic.slice(STATUS.length)));
    this.event({
      action: 'request',
      ok: false,
      reason: `PUBLISH to '${topic}', which DPS does not accept: connection closed`,
    });
    this.session.close(`unsupported topic ${topic}`, true);
  }

  private register(q: Record<string, string>, payload: Buffer): void {
    const rid = q.$rid ?? '';
    let body: { registrationId?: string; payload?: unknown } = {};
    try {
      body = JSON.parse(payload.toString('utf8') || '{}') as typeof body;
    } catch {
      // DPS tolerates an empty body; a broken one is treated as empty too
    }
    if (body.registrationId !== undefined && body.registrationId !== this.registrationId) {
      this.respond(
        400,
        { $rid: rid },
        {
          errorCode: 400004,
          message: `registrationId '${body.registrationId}' in the body does not match '${this.registrationId}'`,
        },
      );
      return this.event({
        action: 'dps-register',
        ok: false,
        status: 400,
        errorCode: 400004,
        reason: `body names registration '${body.registrationId}'`,
      });
    }
    const op = this.ctx.devices.dps.register(this.attested!, body.payload);
    const retryAfter = String(this.options.retryAfterSeconds);
    this.respond(202, { $rid: rid, 'retry-after': retryAfter }, { operationId: op.operationId, status: op.status });
    this.event({
      action: 'dps-register',
      ok: true,
      status: 202,
      reason: `registration ${this.registrationId} accepted, operation ${op.operationId} assigning (retry-after ${retryAfter})`,
      detail: { operationId: op.operationId },
    });
  }

  private status(q: Record<string, string>): void {
    const rid = q.$rid ?? '';
    const op = this.ctx.devices.dps.status(this.registrationId!, q.operationId ?? '');
    if (!op) {
      this.respond(
        404,
        { $rid: rid },
        {
          errorCode: 404002,
          message: `operation '${q.operationId ?? ''}' not found for registration '${this.registrationId}'`,
        },
      );
      return this.event({
        action: 'dps-status',
        ok: false,
        status: 404,
        errorCode: 404002,
        reason: `unknown operation ${q.operationId}`,
      });
    }
    const st = op.registrationState!;
    this.respond(200, { $rid: rid }, { operationId: op.operationId, status: op.status, registrationState: st });
    this.event({
      action: 'dps-status',
      ok: true,
      status: 200,
      deviceId: st.deviceId,
      reason: `registration ${this.registrationId} assigned to ${st.assignedHub} as device ${st.deviceId}`,
      detail: { assignedHub: st.assignedHub, operationId: op.operationId },
    });
  }

  subscribe(filter: string, qos: QoS): number {
    const granted = filter === '$dps/registrations/res/#' ? qos : 128;
    this.event({
      action: 'subscribe',
      ok: granted !== 128,
      reason: `${granted === 128 ? 'refused' : 'granted'} subscription to ${filter}`,
      detail: { filter, granted },
    });
    return granted;
  }

  closed(reason: string, violation: boolean): void {
    // Registrations outlive their connection: only a protocol violation is worth telling.
    if (violation) this.event({ action: 'disconnect', ok: false, reason: `connection closed: ${reason}` });
  }
}
