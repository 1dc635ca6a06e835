/**
 * The admin API's view of the running scenario: endpoints with the chains they serve now (every
 * served certificate, for the dashboard's chain drawing; every chain of a mixed rollout with its
 * weight and the seed), clock, devices, counters.
 */
import { X509Certificate } from 'node:crypto';
import type { RuntimeParts } from '../runtime/index.js';
import type { ChainMaterial } from '../pki/types.js';
import { CHAINS } from '../pki/chains.js';
import type { ChainDraw } from '../runtime/chain-draw.js';
import type { CertViewT, ChainMixT, ChainViewT, StateT } from './schemas.js';

/** What the admin plane knows beyond the runtime: bound ports, counters, registries of other layers. */
export interface StateExtras {
  /** Real bound address of each endpoint's listener. */
  listenOf(endpoint: string): { host: string; port: number };
  handshakesTotal(): number;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;
const cnOf = (dn: string) => /(?:^|\n)CN=([^\n]*)/.exec(dn)?.[1] ?? dn.split('\n').at(-1) ?? dn;
const oneLine = (dn: string) => dn.split('\n').join(', ');

function certView(pem: string): CertViewT {
  const c = new X509Certificate(pem);
  return {
    subject: oneLine(c.subject),
    cn: cnOf(c.subject),
    issuer: oneLine(c.issuer),
    keyType: c.publicKey.asymmetricKeyType === 'ec' ? 'ec' : 'rsa',
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    sha256: c.fingerprint256.replace(/:/g, '').toLowerCase(),
  };
}

/** Material objects are replaced on every change, so a WeakMap caches each parse exactly as long as it is served. */
const views = new WeakMap<ChainMaterial, ChainViewT>();

export function chainView(m: ChainMaterial): ChainViewT {
  let v = views.get(m);
  if (!v) {
    const rootId = CHAINS.find((c) => c.id === m.chainId)?.rootId;
    const served = (m.certPem.match(PEM_CERT) ?? []).map(certView);
    v = {
      id: m.chainId,
      keyType: m.keyType,
      root: m.rootName,
      ...(rootId ? { rootId } : {}),
      leafSha256: m.leafSha256,
      served,
    };
    views.set(m, v);
  }
  return v;
}

/** Every chain of a mixed rollout with its weight and share, and the seed of its sequence. */
function mixView(d: ChainDraw): ChainMixT {
  const total = d.options.reduce((a, o) => a + o.weight, 0);
  return {
    seed: d.seed,
    seeded: d.seeded,
    options: d.options.map((o) => ({ weight: o.weight, share: o.weight / total, chain: chainView(o.material) })),
  };
}

type ServedChains = StateT['endpoints'][number]['chains'];

/** One chain per key type; a weighted source's entry is its first option plus the whole mix. */
function servedChains(runtime: RuntimeParts, name: string): ServedChains {
  const m = runtime.endpoints.materialOf(name);
  const draws = runtime.endpoints.drawsOf(name);
  const out: ServedChains = {};
  for (const kt of ['rsa', 'ec'] as const) {
    const material = m[kt];
    if (!material) continue;
    const d = draws[kt];
    out[kt] = d ? { ...chainView(material), mix: mixView(d) } : chainView(material);
  }
  return out;
}

function endpointState(runtime: RuntimeParts, name: string, x: StateExtras): StateT['endpoints'][number] {
  const ep = runtime.endpoints.get(name);
  return {
    name: ep.name,
    kind: ep.kind,
    hostnames: ep.hostnames,
    isDefault: ep.isDefault,
    listen: x.listenOf(ep.name),
    profile: runtime.endpoints.profileOf(ep).id,
    clientCert: ep.clientCert,
    after: ep.after,
    generation: ep.generation,
    openConnections: runtime.connections.open(ep.name),
    chains: servedChains(runtime, name),
  };
}

export function stateOf(runtime: RuntimeParts, x: StateExtras): StateT {
  const s = runtime.scenario.current;
  const { devices, ...provisioning } = runtime.devices.snapshot();
  return {
    scenario: { name: s.name, file: s.file, ...(s.description ? { description: s.description } : {}) },
    clock: { now: runtime.clock.now().toISOString(), simulated: runtime.clock.simulated },
    endpoints: runtime.endpoints.list().map((ep) => endpointState(runtime, ep.name, x)),
    devices: devices as StateT['devices'],
    provisioning,
    timeline: runtime.timeline.statuses(),
    faults: runtime.faults.list(),
    handshakes: { total: x.handshakesTotal() },
  };
}
