/**
 * Shared access signatures as IoT Hub and DPS check them:
 * `SharedAccessSignature sr={url-encoded resource}&sig={url-encoded base64 HMAC-SHA256}&se={unix seconds}[&skn={policy}]`,
 * signed over `{sr as sent}\n{se}` with the base64-decoded key.
 */
import crypto from 'node:crypto';

export interface SasToken {
  /** Resource URI, decoded. */
  resource: string;
  /** The sr value exactly as sent (the device signed this form). */
  rawResource: string;
  signature: string;
  expiry: number;
  keyName?: string;
}

export type SasVerdict = { ok: true; key: 'primary' | 'secondary' } | { ok: false; reason: string };

const PREFIX = 'SharedAccessSignature ';

function decode(v: string): string | undefined {
  try {
    return decodeURIComponent(v);
  } catch {
    return undefined;
  }
}

/** Parses a token; undefined when it is not a SharedAccessSignature with sr, sig and se. */
export function parseSas(text: string): SasToken | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const fields = new Map(
    text
      .slice(PREFIX.length)
      .split('&')
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)] as const),
  );
  const [sr, sig, se] = [fields.get('sr'), fields.get('sig'), fields.get('se')];
  if (!sr || !sig || !se || !/^\d+$/.test(se)) return undefined;
  const resource = decode(sr);
  const signature = decode(sig);
  if (resource === undefined || signature === undefined) return undefined;
  const skn = fields.get('skn');
  return { resource, rawResource: sr, signature, expiry: Number(se), ...(skn ? { keyName: skn } : {}) };
}

function hmac(key: string, text: string): Buffer {
  return crypto.createHmac('sha256', Buffer.from(key, 'base64')).update(text).digest();
}

/** A token as the Azure SDKs make one: sr URL-encoded, signed over `{sr}\n{se}`, `skn` for a policy. */
export function signSas(resource: string, key: string, expiry: number, keyName?: string): string {
  const sr = encodeURIComponent(resource);
  const sig = encodeURIComponent(hmac(key, `${sr}\n${expiry}`).toString('base64'));
  return `${PREFIX}sr=${sr}&sig=${sig}&se=${expiry}${keyName ? `&skn=${encodeURIComponent(keyName)}` : ''}`;
}

/** DPS group keys: the device key is HMAC-SHA256(groupKey, registrationId), base64. */
export function deriveDeviceKey(groupKey: string, registrationId: string): string {
  return hmac(groupKey, registrationId).toString('base64');
}

function sameResource(a: string, b: string): boolean {
  return a.toLowerCase().replace(/\/+$/, '') === b.toLowerCase().replace(/\/+$/, '');
}

/** True when the token's signature is HMAC-SHA256(key, "{sr as sent}\n{se}"). */
export function signedWith(t: SasToken, key: string | undefined): boolean {
  if (!key) return false;
  const expected = hmac(key, `${t.rawResource}\n${t.expiry}`);
  const given = Buffer.from(t.signature, 'base64');
  return given.length === expected.length && crypto.timingSafeEqual(given, expected);
}

/** Why the token is expired at `now` (the scenario clock), or undefined while it is valid. */
export function expiryProblem(t: SasToken, now: Date): string | undefined {
  if (now.getTime() < t.expiry * 1000) return undefined;
  return `SAS token expired at ${new Date(t.expiry * 1000).toISOString()} (scenario time ${now.toISOString()})`;
}

/** Checks form, resource URI, expiry (scenario clock) and signature against the primary or secondary key. */
export function checkSas(
  text: string | undefined,
  want: { resource: string; keys: Array<string | undefined>; now: Date },
): SasVerdict {
  if (!text) return { ok: false, reason: 'no SAS token (empty password / no Authorization header)' };
  const t = parseSas(text);
  if (!t) return { ok: false, reason: 'the password is not a SharedAccessSignature with sr, sig and se' };
  if (!sameResource(t.resource, want.resource))
    return { ok: false, reason: `SAS token is for resource '${t.resource}', expected '${want.resource}'` };
  const expired = expiryProblem(t, want.now);
  if (expired) return { ok: false, reason: expired };
  const which = want.keys.findIndex((k) => signedWith(t, k));
  if (which < 0) return { ok: false, reason: 'SAS signature does not match the primary or secondary key' };
  return { ok: true, key: which === 0 ? 'primary' : 'secondary' };
}
