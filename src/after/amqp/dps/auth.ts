/**
 * Who a DPS AMQP connection speaks for, judged when the device opens the connection, as Azure's DPS
 * does: a refused device gets our open, then a close with `amqp:unauthorized-access` and Azure's
 * JSON error description (401002 / 401003). A symmetric-key device authenticates in SASL PLAIN
 * (username `{idScope}/registrations/{registrationId}`, password its SAS token); SASL itself always
 * completes, because azure-iot-amqp-base 2.5 reports a SASL outcome `auth` as a connect *success*
 * and then fails with a bare NotConnectedError. An X.509 device skips SASL (or says ANONYMOUS) and
 * is judged by its TLS client certificate: registration id = its CN, id scope = this DPS's. A link
 * on another registration than the judged one is detached with the same condition (the SDK then
 * hangs in its own disconnect for 45 s: a close is the refusal it handles).
 */
import type { Attested } from '../../../core/dps.js';
import type { SessionFields } from '../../events.js';
import type { SessionContext } from '../../types.js';
import type { AmqpCondition } from './requests.js';
import { dpsErrorDescription, parseRegistration, registrationKey, type Registration } from './wire.js';

export type LinkVerdict = { ok: true; attested: Attested } | { ok: false; error: AmqpCondition };

const UNAUTHORIZED = 'amqp:unauthorized-access';

export class DpsAmqpAuth {
  /** The registration SASL PLAIN attested, for the whole connection. */
  private sasl?: { key: string; attested: Attested };
  /** Set when SASL PLAIN named a registration DPS refuses: the connection closes after its open. */
  refusal?: AmqpCondition;
  /** Registrations attested by the client certificate, judged once per connection. */
  private readonly byCert = new Map<string, Attested>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly event: (fields: SessionFields) => void,
  ) {}

  /** The SASL PLAIN step: always true (see above); the verdict is kept for the open. */
  plain(username: string | undefined, password: string | undefined): boolean {
    const reg = parseRegistration(username ?? undefined);
    const v = reg
      ? this.attest(reg, password ?? undefined)
      : this.refuse(
          undefined,
          `SASL PLAIN username '${username ?? ''}' is not {idScope}/registrations/{registrationId}`,
        );
    if (v.ok) this.sasl = { key: registrationKey(reg!), attested: v.attested };
    else this.refusal = v.error;
    return true;
  }

  /** The device opened the connection: the refusal to close it with, if any. */
  opened(): AmqpCondition | undefined {
    if (this.refusal || this.sasl) return this.refusal;
    const cert = this.ctx.established.peerCert;
    const v = cert
      ? this.link({ idScope: this.ctx.devices.dps.idScope, registrationId: cert.commonName ?? '' })
      : this.refuse(undefined, 'neither SASL PLAIN credentials nor a TLS client certificate');
    if (!v.ok) this.refusal = v.error;
    return this.refusal;
  }

  /** May this connection use a link on `reg`'s address? */
  link(reg: Registration): LinkVerdict {
    if (this.refusal) return { ok: false, error: this.refusal };
    const key = registrationKey(reg);
    if (this.sasl)
      return this.sasl.key === key
        ? { ok: true, attested: this.sasl.attested }
        : this.refuse(
            reg.registrationId,
            `link on ${reg.idScope}/registrations/${reg.registrationId}, but SASL authenticated registration ${this.sasl.attested.registrationId}`,
          );
    const known = this.byCert.get(key);
    if (known) return { ok: true, attested: known };
    const v = this.attest(reg, undefined);
    if (v.ok) this.byCert.set(key, v.attested);
    return v;
  }

  private attest(reg: Registration, sas: string | undefined): LinkVerdict {
    const v = this.ctx.devices.dps.attest({
      ...reg,
      sas,
      peerCert: this.ctx.established.peerCert,
      now: this.ctx.now(),
    });
    const registrationId = reg.registrationId;
    if (!v.ok) return this.refuse(registrationId, v.reason, v);
    this.event({
      action: 'connect',
      ok: true,
      registrationId,
      reason: `registration ${registrationId} attested by ${sas === undefined ? 'its certificate' : 'SASL PLAIN'}: ${v.detail}`,
      detail: { enrollment: `${v.enrollment.kind}:${v.enrollment.id}` },
    });
    return { ok: true, attested: v };
  }

  private refuse(
    registrationId: string | undefined,
    reason: string,
    v: { outcome?: SessionFields['outcome']; errorCode: number } = { errorCode: 401002 },
  ): LinkVerdict {
    const where = registrationId === undefined ? {} : { registrationId };
    const outcome = v.outcome ? { outcome: v.outcome } : {};
    this.event({ action: 'connect', ok: false, ...where, ...outcome, errorCode: v.errorCode, reason });
    const description = dpsErrorDescription(v.errorCode, reason, this.ctx.now());
    return { ok: false, error: { condition: UNAUTHORIZED, description } };
  }
}
