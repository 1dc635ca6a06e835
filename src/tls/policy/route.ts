import type { EndpointView, Route } from './types.js';

/** Certificate-style host match: "*.azure-devices.net" matches exactly one extra label. */
export function hostMatches(pattern: string, host: string): boolean {
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
