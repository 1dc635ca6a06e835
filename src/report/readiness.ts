/**
 * Device readiness: for one captured ClientHello, what each Azure profile would do with it and
 * exactly why not. Pure, and built on the same decide()/explain() the hub runs, so the report and
 * the emulator can never disagree. Where a refusal hides a second problem (no SNI *and* too old a
 * version), decide() is asked again with the first obstacle removed, and both are reported.
 */
import type { ClientHelloSummary } from '../tls/clienthello.js';
import { decide } from '../tls/policy/decide.js';
import { explain } from '../tls/policy/explain.js';
import type { Decision, EndpointView, PolicyState } from '../tls/policy/types.js';
import { PROFILES, getProfile } from '../profiles/registry.js';
import { effectiveProfile } from '../profiles/effective.js';
import { SUITES_2025 } from '../profiles/recommended.js';
import { versionLabel, versionRank } from '../profiles/suites.js';
import { getChain } from '../pki/chains.js';
import { findCa } from '../pki/catalog.js';
import { helloView } from '../serve/verdicts.js';
import type { HelloView } from '../events/types.js';
import type { OutcomeCode } from '../events/outcomes.js';
import { MBEDTLS2_REASSEMBLY_LIMIT } from '../tls/engines/mfl.js';

/** The known mbedTLS 2.x limit, in the words the hub's events use (for the qualification MFL case too). */
export { MBEDTLS2_REASSEMBLY_LIMIT };

/** How a real handshake with this ClientHello ended on a hub (a handshake event's fields). */
export interface ObservedHandshake {
  profile: string;
  outcome: OutcomeCode;
  mfl?: { requested: number; mode: 'honour' | 'ignore' };
}

/** A close or reset mid-handshake after the hub honoured the client's max_fragment_length: the mbedTLS 2.x limit. */
export function closedAfterHonouredMfl(o: ObservedHandshake): boolean {
  return o.outcome === 'HUBTLS_CLIENT_CLOSED' && o.mfl?.mode === 'honour';
}

export type Verdict = 'pass' | 'warn' | 'fail';

export interface ProfileVerdict {
  profile: string;
  title: string;
  verdict: Verdict;
  outcome: OutcomeCode;
  /** What the device would negotiate (pass/warn). */
  version?: string;
  suite?: string;
  /** The chain the device would be served, and the root it must trust. */
  chain?: { keyType: 'rsa' | 'ec'; id: string; root: string };
  /** Why not (fail) or what to watch (warn), most important first; short enough for a table. */
  why: string[];
  /** explain() of the decision, word for word as the hub logs it. */
  explanation: string;
}

export interface HelloReadiness {
  hello: HelloView & { explicitVersions: boolean; extensions: string[] };
  /** Facts about the ClientHello that decide readiness across profiles. */
  findings: string[];
  verdicts: ProfileVerdict[];
}

/**
 * Azure itself negotiates everything its profiles list (3DES, ignoring MFL): the report asks what
 * Azure does, not what this machine's OpenSSL can do, so every (version, suite) is "supported".
 */
const AZURE_CAN: PolicyState['mini'] = { supports: () => true };
const policy = (view: EndpointView): PolicyState => ({ endpoints: [view], mini: AZURE_CAN });

/** The chains a profile's endpoint serves in the default scenario. */
const CHAINS = { rsa: 'g2', ec: 'ecc-g3' } as const;

function rootOf(chainId: string): string {
  const root = findCa(getChain(chainId).rootId);
  return root ? (root.subject.find(([k]) => k === 'CN')?.[1] ?? root.id) : chainId;
}

export function endpointFor(profileId: string, at: Date): EndpointView {
  const profile = effectiveProfile(getProfile(profileId), at);
  const chains: EndpointView['chains'] = {};
  for (const t of profile.definition.certKeyTypes) chains[t] = CHAINS[t];
  const dps = profileId.startsWith('dps');
  return {
    name: dps ? 'dps' : 'hub',
    kind: dps ? 'dps' : 'iothub',
    hostnames: [dps ? '*.azure-devices-provisioning.net' : '*.azure-devices.net'],
    isDefault: true,
    profile,
    chains,
  };
}

/** A refusal in words a firmware engineer acts on. */
function shortWhy(
  d: Exclude<Decision, { code: 'HUBTLS_ACCEPTED' }>,
  hello: ClientHelloSummary,
  view: EndpointView,
): string {
  const p = view.profile;
  if (d.code === 'HUBTLS_REFUSED_SNI') return `no SNI: ${p.id} requires server_name (alert unrecognized_name)`;
  if (d.code === 'HUBTLS_REFUSED_VERSION') {
    const offered = hello.versions.map(versionLabel).join(', ') || 'no TLS version';
    const below = hello.versions.every((v) => versionRank(v) < versionRank(p.minVersion));
    return `${below ? 'version below floor' : 'version above ceiling'}: offers ${offered}, ${p.id} accepts ${p.versions.map(versionLabel).join(', ')}`;
  }
  const tls12 = p.suites.filter((s) => s.kx !== 'TLS13').map((s) => s.iana);
  const is2025 = tls12.length === SUITES_2025.length && tls12.every((s) => SUITES_2025.includes(s));
  const list = is2025 ? 'the 2025 list' : `the ${p.id} list (${p.suites.length} suites)`;
  const near = d.nearMisses.length
    ? `; listed but unusable: ${d.nearMisses.map((m) => `${m.suite} (${m.why})`).join('; ')}`
    : '';
  return `no shared suite with ${list}${near}`;
}

/** With the obstacle decide() named removed, what else would stop the device? */
function withoutObstacle(hello: ClientHelloSummary, d: Decision, view: EndpointView): ClientHelloSummary | undefined {
  if (d.code === 'HUBTLS_REFUSED_SNI') return { ...hello, sni: view.hostnames[0]!.replace('*', 'myhub') };
  if (d.code === 'HUBTLS_REFUSED_VERSION') return { ...hello, versions: [view.profile.maxVersion] };
  return undefined;
}

function refusalReasons(hello: ClientHelloSummary, first: Decision, view: EndpointView): string[] {
  const why: string[] = [];
  let h: ClientHelloSummary | undefined = hello;
  let d = first;
  for (let i = 0; i < 3 && h && d.code !== 'HUBTLS_ACCEPTED'; i++) {
    why.push((i === 0 ? '' : 'and then: ') + shortWhy(d, h, view));
    h = withoutObstacle(h, d, view);
    if (h) d = decide(h, policy(view));
  }
  return why;
}

function acceptedWarnings(
  hello: ClientHelloSummary,
  d: Extract<Decision, { code: 'HUBTLS_ACCEPTED' }>,
  view: EndpointView,
): string[] {
  const def = view.profile.definition;
  const warn: string[] = [];
  if (hello.maxFragmentLength !== undefined && def.mfl === 'ignore') {
    warn.push(
      `requests max_fragment_length ${hello.maxFragmentLength}, but ${def.id} ignores it (only the preview hubs honour MFL): records of up to 16 KB will arrive`,
    );
  }
  if (def.certKeyTypes.includes('ec') && d.keyType === 'rsa') {
    const ecdsa = hello.suites.some((s) => s.includes('_ECDSA_'));
    warn.push(
      ecdsa
        ? 'gets the RSA chain: it also offers RSA suites (the ECC chain goes only to ECDSA-only offers)'
        : 'no ECDSA suites, so never the ECC chain',
    );
  }
  return warn;
}

/** What an observed close after an honoured MFL on this profile makes of the verdict, if there was one. */
function observedFailure(hello: ClientHelloSummary, profileId: string, observed: ObservedHandshake[]): string[] {
  const seen = observed.some((o) => o.profile === profileId && closedAfterHonouredMfl(o));
  if (!seen) return [];
  return [
    `hung up mid-handshake after max_fragment_length ${hello.maxFragmentLength ?? '?'} was honoured (our Certificate came in several records): ${MBEDTLS2_REASSEMBLY_LIMIT}`,
  ];
}

function verdictFor(
  hello: ClientHelloSummary,
  profileId: string,
  at: Date,
  observed: ObservedHandshake[] = [],
): ProfileVerdict {
  const view = endpointFor(profileId, at);
  const d = decide(hello, policy(view));
  // Which hubtls engine would run it is an emulator detail, not part of what Azure does.
  const explanation = explain(d.code === 'HUBTLS_ACCEPTED' ? { ...d, engine: 'openssl' } : d);
  const base = { profile: profileId, title: view.profile.definition.title, outcome: d.code, explanation };
  if (d.code !== 'HUBTLS_ACCEPTED') return { ...base, verdict: 'fail', why: refusalReasons(hello, d, view) };
  const failed = observedFailure(hello, profileId, observed);
  const why = [...failed, ...acceptedWarnings(hello, d, view)];
  // An ignored MFL breaks a device with a small receive buffer; the chain note is information only.
  const warned = why.some((w) => w.startsWith('requests max_fragment_length'));
  const verdict: Verdict = failed.length ? 'fail' : warned ? 'warn' : 'pass';
  return {
    ...base,
    verdict,
    version: versionLabel(d.version),
    suite: d.suite,
    chain: { keyType: d.keyType, id: d.chain, root: rootOf(d.chain) },
    why,
  };
}

function findings(h: ClientHelloSummary, observed: ObservedHandshake[]): string[] {
  const out = [
    `offers ${h.versions.map(versionLabel).join(', ') || 'no known TLS version'}${h.explicitVersions ? ' (supported_versions)' : ''}`,
  ];
  const shared2025 = h.suites.filter((s) => SUITES_2025.includes(s));
  out.push(
    shared2025.length
      ? `shares ${shared2025.length} of the 8 post-2025 suites (${shared2025.join(', ')})`
      : 'shares none of the 8 post-2025 suites: refused by every hub after 2025-08-31',
  );
  out.push(h.sni ? `SNI ${h.sni}` : 'no SNI: refused by the TLS 1.3 preview hub, and Azure cannot route by host name');
  if (!h.suites.some((s) => s.includes('_ECDSA_')))
    out.push('no ECDSA suites, so never the ECC chain (DigiCert Global Root G3)');
  if (h.maxFragmentLength !== undefined)
    out.push(
      `requests max_fragment_length ${h.maxFragmentLength}: honoured only by the preview hubs (iothub-ecc-preview, iothub-tls13-preview)`,
    );
  if (observed.some(closedAfterHonouredMfl))
    out.push(`closed mid-handshake where its max_fragment_length was honoured: ${MBEDTLS2_REASSEMBLY_LIMIT}`);
  if (h.fallbackScsv) out.push('TLS_FALLBACK_SCSV: this is a fallback retry after a failed attempt');
  return out;
}

/**
 * Every profile (or the named ones) against one ClientHello at scenario time `at`; `observed`: how
 * real handshakes with it ended on a hub, for what the ClientHello alone cannot tell.
 */
export function assessHello(
  hello: ClientHelloSummary,
  opts: { at?: Date; profiles?: string[]; observed?: ObservedHandshake[] } = {},
): HelloReadiness {
  const observed = opts.observed ?? [];
  const at = opts.at ?? new Date();
  const ids = opts.profiles ?? PROFILES.map((p) => p.id);
  return {
    hello: { ...helloView(hello), explicitVersions: hello.explicitVersions, extensions: hello.extensions },
    findings: findings(hello, observed),
    verdicts: ids.map((id) => verdictFor(hello, id, at, observed)),
  };
}
