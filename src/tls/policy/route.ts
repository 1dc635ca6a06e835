import type { EndpointView, Route } from './types.js';

const HOST_CHARS = /^[A-Za-z0-9._-]+$/;

/** Certificate-style host match: "*.azure-devices.net" matches exactly one extra label. */
export function hostMatches(pattern: string, host: string): boolean {
  // Only a host name's letters can match: an SNI with other bytes (logged escaped, \xNN) matches none.
  if (!HOST_CHARS.test(host)) return false;
  const p = pattern.toLowerCase();
  const h = host.toLowerCase().replace(/\.$/, '');
  if (!p.startsWith('*.')) return p === h;
  const suffix = p.slice(1);
  return h.endsWith(suffix) && h.length > suffix.length && !h.slice(0, -suffix.length).includes('.');
}

/** The endpoint a ClientHello reaches: by SNI, else the listener's default endpoint. */
export function route(sni: string | undefined, endpoints: EndpointView[]): Route {
  if (sni) {
    const hit = endpoints.find((e) => e.hostnames.some((h) => hostMatches(h, sni)));
    if (hit) return { endpoint: hit, by: 'sni' };
  }
  const fallback = endpoints.find((e) => e.isDefault) ?? endpoints[0];
  if (!fallback) throw new Error('policy state has no endpoints');
  return { endpoint: fallback, by: sni ? 'unmatched-sni' : 'default' };
}
