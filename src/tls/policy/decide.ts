/**
 * decide(hello, state) → Decision. Pure: no sockets, no clock reads, no logging. It predicts what
 * OpenSSL (configured from the same profile) will do and says why, so a refusal is explained
 * before any engine runs, and so policies are unit-testable from a captured ClientHello.
 */
import type { ClientHelloSummary } from '../clienthello.js';
import {
  suiteById,
  suiteFitsVersion,
  versionLabel,
  versionRank,
  type SuiteInfo,
  type TlsVersion,
} from '../../profiles/suites.js';
import { ALERT } from '../wire/constants.js';
import { route } from './route.js';
import type { Accepted, Decision, EndpointView, KeyType, NearMiss, PolicyState, Refused, Route } from './types.js';

/** OpenSSL group names (profiles) ↔ IANA names (ClientHello). */
const GROUP_IANA: Record<string, string> = {
  X25519: 'x25519',
  X448: 'x448',
  'P-256': 'secp256r1',
  'P-384': 'secp384r1',
  'P-521': 'secp521r1',
};
/** The ECC stand-in leaf is P-384, like Azure's ECC leaf; in TLS 1.2 the client must list that curve. */
const EC_LEAF_CURVE = 'secp384r1';

export function decide(hello: ClientHelloSummary, state: PolicyState): Decision {
  const r = route(hello.sni, state.endpoints);
  const ep = r.endpoint;
  if (ep.profile.definition.sni === 'required' && !hello.sni) return refuseSni(r);
  const version = pickVersion(hello, ep);
  if (!version) return refuseVersion(hello, r);
  return version === 'TLSv1.3' ? decideTls13(hello, r, state) : decideTls12(hello, r, version, state);
}

function base(r: Route) {
  return { endpoint: r.endpoint.name, profile: r.endpoint.profile.id, routeBy: r.by, notes: [] as string[] };
}

function pickVersion(hello: ClientHelloSummary, ep: EndpointView): TlsVersion | undefined {
  const common = hello.versions.filter((v) => ep.profile.versions.includes(v));
  return common.sort((a, b) => versionRank(b) - versionRank(a))[0];
}

function refuseSni(r: Route): Refused {
  const reason = `profile ${r.endpoint.profile.id} requires server_name (SNI) and the ClientHello has none; set the host name the device dials (e.g. myhub.azure-devices.net) as SNI`;
  return { ...base(r), code: 'HUBTLS_REFUSED_SNI', alert: ALERT.unrecognizedName, reason, nearMisses: [] };
}

function range(versions: TlsVersion[]): string {
  if (versions.length === 0) return 'no TLS version';
  const first = versionLabel(versions[0]!);
  const last = versionLabel(versions[versions.length - 1]!);
  return first === last ? first : `${first}–${last.replace('TLS ', '')}`;
}

function refuseVersion(hello: ClientHelloSummary, r: Route): Refused {
  const p = r.endpoint.profile;
  const floor = hello.versions.every((v) => versionRank(v) < versionRank(p.minVersion));
  const reason =
    `client offers ${range(hello.versions)} but profile ${p.id} accepts ${range(p.versions)}` +
    (floor
      ? ` (version floor ${versionLabel(p.minVersion)}; the device must enable TLS 1.2)`
      : ' (above the version ceiling)');
  return { ...base(r), code: 'HUBTLS_REFUSED_VERSION', alert: ALERT.protocolVersion, reason, nearMisses: [] };
}

function groupsInCommon(hello: ClientHelloSummary, ep: EndpointView): string[] {
  const ours = ep.profile.definition.groups.map((g) => GROUP_IANA[g] ?? g);
  // A TLS 1.2 client without supported_groups may use any curve (RFC 8422 §4).
  return hello.groups.length === 0 ? ours : hello.groups.filter((g) => ours.includes(g));
}

function keyTypeOf(suite: SuiteInfo): KeyType {
  return suite.auth === 'ECDSA' ? 'ec' : 'rsa';
}

/** Why a profile suite offered by the client cannot be used in `version` here, or null if it can. */
function whyUnusable12(
  suite: SuiteInfo,
  version: TlsVersion,
  hello: ClientHelloSummary,
  ep: EndpointView,
  state: PolicyState,
): string | null {
  if (!suiteFitsVersion(suite, version))
    return `needs ${versionLabel(suite.minVersion)} or later, negotiated ${versionLabel(version)}`;
  const kt = keyTypeOf(suite);
  if (!ep.chains[kt])
    return kt === 'ec'
      ? 'needs an ECC certificate; this endpoint serves an RSA chain only'
      : 'needs an RSA certificate; none is loaded';
  if (suite.kx === 'ECDHE' && groupsInCommon(hello, ep).length === 0)
    return `no elliptic curve in common (client: ${hello.groups.join(', ') || 'none'})`;
  if (kt === 'ec' && hello.groups.length > 0 && !hello.groups.includes(EC_LEAF_CURVE))
    return `the ECC certificate is P-384 and the client does not list ${EC_LEAF_CURVE}`;
  if (
    hello.sigalgs.length > 0 &&
    version === 'TLSv1.2' &&
    !hello.sigalgs.some((a) => a.startsWith(kt === 'ec' ? 'ecdsa_' : 'rsa_'))
  )
    return `no ${kt === 'ec' ? 'ECDSA' : 'RSA'} signature algorithm offered`;
  if (!suite.openssl && !state.mini?.supports(version, suite.iana))
    return 'OpenSSL cannot negotiate it and the alternative engine is not available';
  return null;
}

function profileSuitesOffered(hello: ClientHelloSummary, ep: EndpointView): SuiteInfo[] {
  const listed = new Set(ep.profile.suites.map((s) => s.id));
  return hello.suiteIds.filter((id) => listed.has(id)).map((id) => suiteById(id)!);
}

/**
 * Azure presents its RSA chain whenever the client offers a usable RSA suite; the ECC chain only to
 * a client that offers ECDSA suites alone (seed 003: "include only ECDSA cipher suites and exclude
 * any RSA ones"). Within the chosen certificate type the client's order decides.
 */
function decideTls12(hello: ClientHelloSummary, r: Route, version: TlsVersion, state: PolicyState): Decision {
  const ep = r.endpoint;
  const misses: NearMiss[] = [];
  const usable: SuiteInfo[] = [];
  for (const suite of profileSuitesOffered(hello, ep).filter((s) => s.kx !== 'TLS13')) {
    const why = whyUnusable12(suite, version, hello, ep, state);
    if (why) misses.push({ suite: suite.iana, why });
    else usable.push(suite);
  }
  const chosen = usable.find((s) => keyTypeOf(s) === 'rsa') ?? usable[0];
  if (!chosen) return refuseCipher(hello, r, version, misses);
  const out = accept(hello, r, version, chosen, keyTypeOf(chosen), state, misses);
  if (chosen !== usable[0])
    out.notes.push(
      `client prefers ${usable[0]!.iana}; Azure serves its RSA chain whenever an RSA suite is offered (ECC chain only for ECDSA-only offers)`,
    );
  return out;
}

/** TLS 1.3: the RSA chain when the client can verify an RSA signature, else the ECC chain. */
function keyTypeFor13(hello: ClientHelloSummary, ep: EndpointView): KeyType | undefined {
  if (ep.chains.rsa && hello.sigalgs.some((a) => a.startsWith('rsa_pss_rsae_'))) return 'rsa';
  if (ep.chains.ec && hello.sigalgs.includes('ecdsa_secp384r1_sha384')) return 'ec';
  return undefined;
}

function decideTls13(hello: ClientHelloSummary, r: Route, state: PolicyState): Decision {
  const ep = r.endpoint;
  const suites = profileSuitesOffered(hello, ep).filter((s) => s.kx === 'TLS13');
  const keyType = keyTypeFor13(hello, ep);
  if (suites.length === 0) return refuseCipher(hello, r, 'TLSv1.3', []);
  const misses = suites.map((s) => ({ suite: s.iana, why: '' }));
  if (groupsInCommon(hello, ep).length === 0)
    return refuseCipher(
      hello,
      r,
      'TLSv1.3',
      misses.map((m) => ({ ...m, why: 'no key-exchange group in common' })),
    );
  if (!keyType)
    return refuseCipher(
      hello,
      r,
      'TLSv1.3',
      misses.map((m) => ({ ...m, why: 'no signature algorithm matches a loaded certificate' })),
    );
  return accept(hello, r, 'TLSv1.3', suites[0]!, keyType, state, []);
}

function refuseCipher(hello: ClientHelloSummary, r: Route, version: TlsVersion, nearMisses: NearMiss[]): Refused {
  const p = r.endpoint.profile;
  const usable = p.suites.filter((s) => suiteFitsVersion(s, version) && r.endpoint.chains[keyTypeOf(s)]);
  const reason =
    `no cipher suite in common for ${versionLabel(version)}: the client offers ${hello.suites.length} suites, ` +
    (nearMisses.length
      ? `${nearMisses.length} of them listed by ${p.id} but unusable here`
      : `none of them listed by ${p.id}`) +
    `; ${p.id} accepts ${usable.map((s) => s.iana).join(', ') || 'nothing in this version'}` +
    retiredOffered(hello, p);
  return { ...base(r), code: 'HUBTLS_REFUSED_CIPHER', alert: ALERT.handshakeFailure, reason, nearMisses };
}

/** Offered suites the profile lists only for another period of the scenario clock (3DES before 2022-10-01). */
function retiredOffered(hello: ClientHelloSummary, p: EndpointView['profile']): string {
  const hits = p.retired.filter((r) => hello.suiteIds.includes(r.suite.id));
  return hits.map((r) => `; ${r.suite.iana} is not accepted at this scenario time (${r.why})`).join('');
}

function accept(
  hello: ClientHelloSummary,
  r: Route,
  version: TlsVersion,
  suite: SuiteInfo,
  keyType: KeyType,
  state: PolicyState,
  misses: NearMiss[],
): Accepted {
  const out: Accepted = {
    ...base(r),
    code: 'HUBTLS_ACCEPTED',
    version,
    suite: suite.iana,
    keyType,
    chain: r.endpoint.chains[keyType]!,
    engine: 'openssl',
  };
  for (const m of misses) out.notes.push(`skipped ${m.suite}: ${m.why}`);
  if (r.by === 'unmatched-sni')
    out.notes.push(`SNI ${hello.sni} matches no endpoint; routed to default endpoint ${r.endpoint.name}`);
  if (!suite.openssl) out.engine = 'mini';
  if (hello.maxFragmentLength !== undefined) applyMfl(out, hello.maxFragmentLength, r.endpoint, state);
  return out;
}

function applyMfl(out: Accepted, requested: number, ep: EndpointView, state: PolicyState): void {
  const mode = ep.profile.definition.mfl;
  out.mfl = { requested, mode };
  if (mode === 'honour') return;
  if (state.mini?.supports(out.version, out.suite)) out.engine = 'mini';
  else {
    out.mfl.mode = 'honour';
    out.notes.push(
      `profile ${ep.profile.id} ignores max_fragment_length, but the engine that can ignore it does not run ${versionLabel(out.version)} ${out.suite}: honoured instead`,
    );
  }
}
