import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The admin bearer token: from HUBTLS_ADMIN_TOKEN, else fresh and random for this run. */
export function adminToken(env = process.env): string {
  return env.HUBTLS_ADMIN_TOKEN || randomBytes(16).toString('hex');
}

export function tokenMatches(header: string | undefined, token: string): boolean {
  // The scheme is case-insensitive (RFC 7235 §2.1): `bearer x` is as good as `Bearer x`.
  const m = /^bearer +(.+)$/i.exec(header ?? '');
  return !!m && sameToken(m[1]!, token);
}

export function sameToken(given: string, token: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The header, or `?token=` (RFC 6750 §2.3 style): a browser cannot put a header on the dashboard
 * page load or on an EventSource, so the printed dashboard URL carries the token.
 */
export function requestAuthorized(header: string | undefined, query: unknown, token: string): boolean {
  if (tokenMatches(header, token)) return true;
  const q = (query ?? {}) as Record<string, unknown>;
  return typeof q.token === 'string' && sameToken(q.token, token);
}
