/**
 * Claims-based security as IoT Hub does it on `$cbs` (sans-IO): a `put-token` request message
 * (application properties operation `put-token`, type `servicebus.windows.net:sastoken`, name = the
 * audience; body = the SAS token; reply_to and message_id for the answer) is judged by the hub core
 * (device or module SAS, or a shared access policy's token: DeviceConnect for device links,
 * ServiceConnect for the service's), and the answer carries `status-code` 200 or 401 with a
 * `status-description`. An accepted token becomes a claim on the connection, keyed by its resource:
 * a renewal for the same resource replaces it. Links are authorized from the claims at attach, and
 * the ones a claim authorized are closed when it expires by the scenario clock.
 */
import type { Message } from 'rhea';
import type { PeerCertInfo } from '../../tls/engines/types.js';
import { authenticateDevice, authenticateModule, deviceRefusal, type AuthVerdict } from '../../core/auth.js';
import type { Right } from '../../core/policies.js';
import type { RegistryLookup } from '../../core/types.js';
import { parseSas } from '../../core/sas.js';
import type { DeviceIdentity } from './addresses.js';
import { bodyBytes } from './messages.js';

export const CBS_TOKEN_TYPES = ['servicebus.windows.net:sastoken', 'azure-devices.net:sastoken'];

export interface PutToken {
  messageId: unknown;
  replyTo?: string;
  audience: string;
  token: string;
}

export type Scope = { kind: 'device'; identity: DeviceIdentity } | { kind: 'hub' };

export interface Claim {
  /** The token's resource, lower case: one claim per resource. */
  key: string;
  token: string;
  hubHost: string;
  scope: Scope;
  expires: Date;
}

export type CbsAnswer =
  | { status: 200; description: string; claim: Claim }
  | { status: 400 | 401; description: string; refusal?: Extract<AuthVerdict, { ok: false }> };

export type LinkVerdict = { ok: true; via: string; detail: string } | Extract<AuthVerdict, { ok: false }>;

/** Reads a put-token request, or says what is wrong with it. */
export function readPutToken(m: Message): PutToken | { error: string } {
  const p = (m.application_properties ?? {}) as Record<string, unknown>;
  if (p.operation !== 'put-token') return { error: `CBS operation '${String(p.operation)}' is not put-token` };
  if (typeof p.type !== 'string' || !CBS_TOKEN_TYPES.includes(p.type))
    return { error: `CBS token type '${String(p.type)}' is not ${CBS_TOKEN_TYPES[0]}` };
  const token = bodyBytes(m.body)?.toString('utf8');
  if (!token) return { error: 'the put-token message has no token in its body' };
  const audience = typeof p.name === 'string' ? p.name : '';
  return { messageId: m.message_id, ...(m.reply_to ? { replyTo: m.reply_to } : {}), audience, token };
}

/** `{host}/devices/{d}[/modules/{m}]` → the identity, or undefined for other paths. */
function scopeOf(path: string): DeviceIdentity | undefined {
  const m = /^\/devices\/([^/]+)(?:\/modules\/([^/]+))?\/?$/.exec(path);
  if (!m) return undefined;
  const deviceId = m[1]!; // parseSas decoded the resource already
  if (m[2] === undefined) return { deviceId, linkId: deviceId };
  const moduleId = m[2];
  return { deviceId, moduleId, linkId: `${deviceId}/${moduleId}` };
}

function judgeIdentity(
  registry: RegistryLookup,
  id: DeviceIdentity,
  c: { hubHost: string; sas?: string; peerCert?: PeerCertInfo; now: Date },
): AuthVerdict {
  const creds = { deviceId: id.deviceId, ...c };
  return id.moduleId
    ? authenticateModule(registry, { ...creds, moduleId: id.moduleId })
    : authenticateDevice(registry, creds);
}

/** The hub's answer to a put-token: 200 with the claim, or 401 saying why. */
export function judgePutToken(registry: RegistryLookup, req: PutToken, now: Date): CbsAnswer {
  const t = parseSas(req.token);
  if (!t) return { status: 401, description: 'the token is not a SharedAccessSignature with sr, sig and se' };
  const slash = t.resource.indexOf('/');
  const hubHost = slash < 0 ? t.resource : t.resource.slice(0, slash);
  const path = slash < 0 ? '' : t.resource.slice(slash).replace(/\/+$/, '');
  const base = {
    key: t.resource.toLowerCase().replace(/\/+$/, ''),
    token: req.token,
    hubHost,
    expires: new Date(t.expiry * 1000),
  };
  if (path === '') {
    if (!t.keyName)
      return {
        status: 401,
        description: `a hub-wide token (sr '${t.resource}') must name its shared access policy (skn)`,
      };
    const rights: Right[] = ['ServiceConnect', 'DeviceConnect'];
    const verdicts = rights.map((r) => registry.policies.authorize(req.token, hubHost, r));
    const ok = verdicts.find((v) => v.ok);
    if (ok?.ok)
      return { status: 200, description: `OK: policy '${ok.policy}'`, claim: { ...base, scope: { kind: 'hub' } } };
    const v = verdicts[0]!;
    const reason = v.ok ? '' : v.reason;
    return {
      status: 401,
      description: reason.replace(/ServiceConnect right/, 'ServiceConnect or DeviceConnect right'),
    };
  }
  const identity = scopeOf(path);
  if (!identity)
    return { status: 401, description: `token resource '${t.resource}' is neither the hub nor a device or module` };
  const v = judgeIdentity(registry, identity, { hubHost, sas: req.token, now });
  if (!v.ok) return { status: 401, description: v.reason, refusal: v };
  return { status: 200, description: `OK: ${v.detail}`, claim: { ...base, scope: { kind: 'device', identity } } };
}

/** Whether a device link for `id` may attach: a claim for it (or a policy's), else the TLS client certificate. */
export function authorizeDeviceLink(
  registry: RegistryLookup,
  claims: Iterable<Claim>,
  id: DeviceIdentity,
  o: { peerCert?: PeerCertInfo; hubHost: string; now: Date },
): LinkVerdict {
  let last: LinkVerdict | undefined;
  for (const c of claims) {
    if (c.scope.kind === 'device' && c.scope.identity.linkId !== id.linkId) continue;
    const v = judgeIdentity(registry, id, { hubHost: c.hubHost, sas: c.token, now: o.now });
    if (v.ok) return { ok: true, via: c.key, detail: v.detail };
    last = v;
  }
  if (o.peerCert) {
    const v = judgeIdentity(registry, id, { hubHost: o.hubHost, peerCert: o.peerCert, now: o.now });
    return v.ok ? { ok: true, via: 'x509', detail: v.detail } : v;
  }
  return (
    last ??
    (deviceRefusal(
      `no put-token on $cbs covers ${id.moduleId ? `module '${id.linkId}'` : `device '${id.deviceId}'`} and no client certificate was sent`,
      401002,
    ) as Extract<AuthVerdict, { ok: false }>)
  );
}

/** Whether a service link may attach: a claim of a policy with ServiceConnect. */
export function authorizeServiceLink(registry: RegistryLookup, claims: Iterable<Claim>, now: Date): LinkVerdict {
  let reason = 'no put-token on $cbs with a shared access policy token (ServiceConnect) on this connection';
  for (const c of claims) {
    if (c.scope.kind !== 'hub') continue;
    if (c.expires.getTime() <= now.getTime()) continue;
    const v = registry.policies.authorize(c.token, c.hubHost, 'ServiceConnect');
    if (v.ok) return { ok: true, via: c.key, detail: `policy '${v.policy}' (ServiceConnect)` };
    reason = v.reason;
  }
  return deviceRefusal(reason, 401002) as Extract<AuthVerdict, { ok: false }>;
}
