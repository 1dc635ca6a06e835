/** Builders for ClientHello summaries and policy states, for pure policy tests. */
import type { ClientHelloSummary } from '../../src/tls/clienthello.js';
import type { TlsVersion } from '../../src/profiles/suites.js';
import { suiteByName } from '../../src/profiles/suites.js';
import { effectiveProfile } from '../../src/profiles/effective.js';
import { getProfile } from '../../src/profiles/registry.js';
import type { EndpointView, PolicyState } from '../../src/tls/policy/types.js';

export function hello(over: Partial<ClientHelloSummary> & { suites: string[] }): ClientHelloSummary {
  const suiteIds = over.suites.map((n) => suiteByName(n)?.id ?? 0xfefe);
  return {
    legacyVersion: 'TLSv1.2',
    versions: ['TLSv1.2'] as TlsVersion[],
    explicitVersions: false,
    groups: ['x25519', 'secp256r1', 'secp384r1'],
    sigalgs: ['ecdsa_secp256r1_sha256', 'ecdsa_secp384r1_sha384', 'rsa_pss_rsae_sha256', 'rsa_pkcs1_sha256'],
    alpn: [],
    extensions: [],
    fallbackScsv: false,
    sessionTicket: false,
    ja3: '',
    ja4: '',
    bytes: 200,
    ...over,
    suiteIds,
  };
}

export function endpoint(profileId: string, over: Partial<EndpointView> = {}, now = new Date()): EndpointView {
  const profile = effectiveProfile(getProfile(profileId), now);
  const chains: EndpointView['chains'] = { rsa: 'g2' };
  if (profile.definition.certKeyTypes.includes('ec')) chains.ec = 'ecc-g3';
  return { name: 'hub', kind: 'iothub', hostnames: ['*.azure-devices.net'], isDefault: true, profile, chains, ...over };
}

export function state(endpoints: EndpointView[]): PolicyState {
  return { endpoints };
}
