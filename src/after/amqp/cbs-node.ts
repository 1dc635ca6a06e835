/**
 * The `$cbs` node of one connection: its reply links, the claims the peer's put-tokens made (one per
 * resource: a renewal replaces), the answer on the reply link and the `put-token` session event. A
 * device under an in-band refusal window gets that window's status instead of 200.
 */
import type { EventContext, Sender } from 'rhea';
import type { SessionFields } from '../events.js';
import { refusal } from '../inband-faults.js';
import type { SessionContext } from '../types.js';
import type { DeviceIdentity } from './addresses.js';
import { judgePutToken, readPutToken, type CbsAnswer, type Claim, type PutToken } from './cbs.js';
import { refusalError } from './inband.js';
import { asMessage } from './messages.js';

/** An audience as the SDKs send it (URL-encoded sr) in a form people read. */
function readable(audience: string): string {
  try {
    return decodeURIComponent(audience);
  } catch {
    return audience;
  }
}

export class CbsNode {
  readonly claims = new Map<string, Claim>();
  private readonly senders = new Set<Sender>();

  constructor(
    private readonly ctx: SessionContext,
    private readonly event: (f: SessionFields) => void,
    /** A device's token was accepted (register it). */
    private readonly accepted: (id: DeviceIdentity, detail: string) => void,
  ) {}

  addSender(s: Sender): void {
    this.senders.add(s);
  }

  removeSender(s: Sender): void {
    this.senders.delete(s);
  }

  putToken(e: EventContext): void {
    e.delivery!.accept();
    const req = readPutToken(e.message!);
    const ans = 'error' in req ? { status: 400 as const, description: req.error } : this.judge(req);
    const reply = this.replyLink('error' in req ? undefined : req.replyTo);
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
    if (who) this.accepted(who, ans.description.replace(/^OK: /, ''));
    const v = 'refusal' in ans ? ans.refusal : undefined;
    const audience = 'audience' in req ? ` for ${readable(req.audience)}` : '';
    this.event({
      action: 'put-token',
      ok: ans.status === 200,
      status: ans.status,
      ...(who ? { deviceId: who.deviceId } : {}),
      ...(v ? { outcome: v.outcome, errorCode: v.errorCode } : {}),
      reason: `CBS put-token${renewed ? ' (renewal)' : ''}${audience}: ${ans.status} ${ans.description}`,
      detail: {
        delivered: !!reply,
        ...(claim ? { expires: claim.expires.toISOString(), scope: claim.scope.kind } : {}),
      },
    });
  }

  earliest(): Date | undefined {
    const times = [...this.claims.values()].map((c) => c.expires.getTime());
    return times.length ? new Date(Math.min(...times)) : undefined;
  }

  /** Removes and returns the claims past their expiry at `now`. */
  expired(now: Date): Claim[] {
    const gone = [...this.claims.values()].filter((c) => c.expires.getTime() <= now.getTime());
    for (const c of gone) this.claims.delete(c.key);
    return gone;
  }

  private judge(req: PutToken): CbsAnswer {
    const ans = judgePutToken(this.ctx.devices, req, this.ctx.now());
    const who = 'claim' in ans && ans.claim.scope.kind === 'device' ? ans.claim.scope.identity : undefined;
    const r = who ? refusal(this.ctx.devices, who.deviceId) : undefined;
    if (!who || !r) return ans;
    return {
      status: r.http.status as 401,
      description: refusalError(r, `token of ${who.linkId} refused`).description ?? '',
    };
  }

  /** The $cbs link whose target is the request's reply_to, else the newest open one. */
  private replyLink(replyTo: string | undefined): Sender | undefined {
    const open = [...this.senders].filter((s) => s.is_open()).reverse();
    const target = (s: Sender) => (s.target as { address?: string } | undefined)?.address;
    return open.find((s) => replyTo !== undefined && target(s) === replyTo) ?? open[0];
  }
}
