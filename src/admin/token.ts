import { randomBytes, timingSafeEqual } from 'node:crypto';

/** The admin bearer token: from HUBTLS_ADMIN_TOKEN, else fresh and random for this run. */
export function adminToken(env = process.env): string {
  return env.HUBTLS_ADMIN_TOKEN || randomBytes(16).toString('hex');
}

export function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer (.+)$/.exec(header ?? '');
  if (!m) return false;
  const a = Buffer.from(m[1]!);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}
