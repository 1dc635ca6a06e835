import type { EffectiveProfile } from '../../profiles/effective.js';
import type { MflMode } from '../../profiles/types.js';
import type { TlsVersion } from '../../profiles/suites.js';
import type { KeyType } from '../../pki/types.js';

/** One key-type vocabulary for the policy and the PKI. */
export type { KeyType };

export type EngineName = 'openssl' | 'mini';

/** What the policy needs to know about one endpoint at one instant. Plain data, no handles. */
export interface EndpointView {
  name: string;
  kind: 'iothub' | 'dps';
  hostnames: string[];
  isDefault: boolean;
  profile: EffectiveProfile;
  /** Chain ids actually loaded for each key type (the profile decides which types are used). */
  chains: Partial<Record<KeyType, string>>;
}

/** Which (version, suite) pairs the alternative engine can run; absent when it is not installed. */
export interface MiniEngineCaps {
  supports(version: TlsVersion, suite: string): boolean;
}

export interface PolicyState {
  endpoints: EndpointView[];
  mini?: MiniEngineCaps;
}

export type RouteBy = 'sni' | 'default' | 'unmatched-sni';

export interface Route {
  endpoint: EndpointView;
  by: RouteBy;
}

/** A suite the client offered that the profile lists, but that cannot be used here, and why. */
export interface NearMiss {
  suite: string;
  why: string;
}

interface DecisionBase {
  endpoint: string;
  profile: string;
  routeBy: RouteBy;
  /** Remarks that do not change the outcome (fallbacks, ignored extensions). */
  notes: string[];
}

export interface Accepted extends DecisionBase {
  code: 'HUBTLS_ACCEPTED';
  version: TlsVersion;
  suite: string;
  keyType: KeyType;
  chain: string;
  engine: EngineName;
  mfl?: { requested: number; mode: MflMode };
}

export interface Refused extends DecisionBase {
  code: 'HUBTLS_REFUSED_VERSION' | 'HUBTLS_REFUSED_CIPHER' | 'HUBTLS_REFUSED_SNI';
  alert: number;
  /** One sentence: why, in the user's terms, naming the setting that changes it. */
  reason: string;
  nearMisses: NearMiss[];
}

export type Decision = Accepted | Refused;
