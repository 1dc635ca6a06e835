/**
 * The links of one DPS AMQP connection: the device attaches a sender (requests) and a receiver
 * (replies) on `{idScope}/registrations/{registrationId}`. An address DPS does not serve is detached
 * with `amqp:not-found`; a registration the connection may not speak for with
 * `amqp:unauthorized-access`. Requests are settled explicitly (accepted, or rejected with the
 * condition requests.ts chose) and answered on the receiver link of the same registration.
 */
import rhea, { type Delivery, type EventContext, type link as Link, type Receiver, type Sender } from 'rhea';
import type { Attested } from '../../../core/dps.js';
import type { DpsSettings } from '../../dps-options.js';
import type { SessionFields } from '../../events.js';
import type { SessionContext } from '../../types.js';
import type { DpsAmqpAuth } from './auth.js';
import { MAX_MESSAGE_SIZE, type Violation } from './guard.js';
import { answerRequest } from './requests.js';
import { dpsErrorDescription, parseRegistration, registrationKey, requestProperties } from './wire.js';

interface Bound {
  key: string;
  attested: Attested;
}

export class DpsLinks {
  /** Our receivers (the device's request senders) and whom they speak for. */
  private readonly requests = new WeakMap<Receiver, Bound>();
  /** Our open receivers, whose partial multi-frame messages `oversizedMessage` measures. */
  private readonly receivers = new Set<Receiver>();
  /** Our senders (the device's reply receivers), by registration. */
  private readonly replies = new Map<string, Sender>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly auth: DpsAmqpAuth,
    private readonly settings: DpsSettings,
    private readonly event: (fields: SessionFields) => void,
  ) {}

  /** The device attached a receiver: our sender, whose source is the registration address. */
  senderOpen(sender: Sender): void {
    const bound = this.admit(sender, sender.source?.address, 'receiver');
    if (!bound) return;
    this.replies.set(bound.key, sender);
    sender.once('sender_close', () => this.replies.get(bound.key) === sender && this.replies.delete(bound.key));
  }

  /** The device attached a sender: our receiver, whose target is the registration address. */
  receiverOpen(receiver: Receiver): void {
    const bound = this.admit(receiver, receiver.target?.address, 'sender');
    if (!bound) return;
    this.requests.set(receiver, bound);
    this.receivers.add(receiver);
    receiver.once('receiver_close', () => this.receivers.delete(receiver));
  }

  /** rhea 1.0.24 assembles a message sent in many transfer frames without a limit (`_incomplete`). */
  oversizedMessage(): Violation | undefined {
    for (const r of this.receivers) {
      const size = (r as unknown as { _incomplete?: { data?: Buffer } })._incomplete?.data?.length ?? 0;
      if (size > MAX_MESSAGE_SIZE) {
        const reason = `message of more than ${size} bytes exceeds ${MAX_MESSAGE_SIZE}`;
        return { condition: 'amqp:link:message-size-exceeded', reason, detail: { size } };
      }
    }
    return undefined;
  }

  /** A refused attach: ours goes out with no terminus, then the detach with the error. */
  private admit(link: Link, address: string | undefined, role: string): Bound | undefined {
    const reg = parseRegistration(address);
    if (!reg) {
      const why = `DPS serves no ${role} link on '${address ?? ''}' (expected {idScope}/registrations/{registrationId})`;
      link.close({ condition: 'amqp:not-found', description: dpsErrorDescription(404001, why, this.ctx.now()) });
      this.event({
        action: 'request',
        ok: false,
        status: 404,
        reason: `${role} link attached to '${address ?? ''}', which DPS does not serve: detached with amqp:not-found`,
      });
      return undefined;
    }
    const v = this.auth.link(reg);
    if (!v.ok) return void link.close(v.error);
    // Echo the device's terminus so the attach answers the one it sent.
    link.set_source(link.source);
    link.set_target(link.target);
    return { key: registrationKey(reg), attested: v.attested };
  }

  message(c: EventContext): void {
    const delivery = c.delivery!;
    const bound = c.receiver && this.requests.get(c.receiver);
    if (!bound) return delivery.reject({ condition: 'amqp:not-allowed', description: 'link is not attached to DPS' });
    const sender = this.replies.get(bound.key);
    if (!sender) return this.noReplyLink(delivery, bound.attested.registrationId);
    const msg = c.message!;
    const request = {
      correlationId: msg.correlation_id,
      now: this.ctx.now(),
      properties: requestProperties(msg.application_properties),
      body: msg.body,
    };
    const a = answerRequest(this.ctx.devices.dps, bound.attested, request, this.settings);
    this.event({ registrationId: bound.attested.registrationId, ...a.event });
    if (a.reject) return delivery.reject(a.reject);
    delivery.accept();
    sender.send({ ...a.reply!, body: rhea.message.data_section(a.reply!.body) });
  }

  private noReplyLink(delivery: Delivery, registrationId: string): void {
    const description = `no receiver link of registration ${registrationId} is attached to take the reply`;
    delivery.reject({ condition: 'amqp:precondition-failed', description });
    this.event({ action: 'request', ok: false, registrationId, reason: `${description}: rejected` });
  }
}
