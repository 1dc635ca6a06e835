/** Shared types of the test PKI: catalog definitions (data) and what the store hands out. */

export type KeyType = 'rsa' | 'ec';
export type Curve = 'P-256' | 'P-384';

/** Key shape. RSA keys have `bits`, EC keys a `curve`. */
export type KeyShape = { type: 'rsa'; bits: number } | { type: 'ec'; curve: Curve };

/** Signature algorithms used in the PKI, named as OpenSSL prints them. */
export type SigAlg =
  | 'sha1WithRSAEncryption'
  | 'sha256WithRSAEncryption'
  | 'sha384WithRSAEncryption'
  | 'ecdsa-with-SHA256'
  | 'ecdsa-with-SHA384';

/** One relative distinguished name, in encoding order: e.g. ['C', 'US']. */
export type DnPart = readonly [attr: 'C' | 'ST' | 'L' | 'O' | 'OU' | 'CN', value: string];

export type LeafKind = 'iothub' | 'dps';

/** Certificate roles decide the extensions (basicConstraints, keyUsage, EKU). */
export type CertRole = 'root' | 'issuing-ca' | 'tls-leaf' | 'device';

/** A root or issuing CA of the catalog. */
export interface CaDef {
  /** Certificate id (also the file name stem). Cross-signed variants are `<keyId>@<issuer>`. */
  id: string;
  /** Key id: cross-signed variants of one CA share one key (and subject). */
  keyId: string;
  role: 'root' | 'issuing-ca';
  subject: readonly DnPart[];
  key: KeyShape;
  /** Certificate id of the issuer; equal to `id` for a self-signed root. */
  issuerId: string;
  /** Algorithm the issuer signs this certificate with. */
  signature: SigAlg;
  /** Algorithm this CA signs its leaves with (issuing CAs only). */
  leafSignature?: SigAlg;
  /** Real-world notBefore (ISO date). notAfter is always STAND_IN_NOT_AFTER, see catalog.ts. */
  notBefore: string;
  description: string;
  /** Not an Azure stand-in: a root or CA that only exists for tests. */
  testOnly?: boolean;
  /** Readable file stem for exports (roots), e.g. `digicert-global-root-g2`. */
  fileName?: string;
}

/** How a leaf's validity window relates to the reference instant `validAt`. */
export type WindowStatus = 'valid' | 'expired' | 'not-yet-valid';

export type DefectId =
  | 'expired'
  | 'not-yet-valid'
  | 'wrong-host'
  | 'missing-intermediate'
  | 'self-signed-leaf'
  | 'untrusted-root'
  | 'sha1-leaf'
  | 'oversized-chain'
  | 'weak-key';

/** How a chain's leaf differs from a normal leaf of its kind. */
export interface LeafOverrides {
  window?: WindowStatus;
  /** Replace the kind's names with `*.wrong-host.example`. */
  wrongHost?: boolean;
  selfSigned?: boolean;
  rsaBits?: number;
  signature?: SigAlg;
  /** Add this many extra DNS SANs (oversized chain). */
  extraSans?: number;
}

export interface ChainDef {
  id: string;
  /** One line: which Azure story this chain stands for. */
  description: string;
  /** The anchor of the path this chain was built on (for self-signed-leaf: the root a device has). */
  rootId: string;
  /** Other anchors that complete the path (cross-signed chains). */
  altRootIds?: readonly string[];
  keyType: KeyType;
  /** Certificate id of the CA that signs the leaf (ignored when the leaf is self-signed). */
  leafIssuerId: string;
  /** Intermediates in served order (after the leaf). */
  served: readonly string[];
  defect?: DefectId;
  leaf?: LeafOverrides;
}

/** Catalog view of a chain, as listed by `hubtls certs list`. */
export interface ChainInfo {
  id: string;
  description: string;
  rootId: string;
  altRootIds: string[];
  keyType: KeyType;
  leafIssuerId: string;
  served: string[];
  defect?: DefectId;
}

/** Catalog view of a root. */
export interface RootInfo {
  id: string;
  subject: string;
  keyType: KeyType;
  keyBits: number;
  signature: SigAlg;
  notBefore: string;
  fileName: string;
  description: string;
  testOnly: boolean;
}

/**
 * A chain ready to load into TLS: PEM text plus what events report about it. Plain data, so the
 * layers above pki (tls contexts, faults, the runtime) share one shape without importing tls.
 */
export interface ChainMaterial {
  chainId: string;
  /** Leaf + intermediates, served order. */
  certPem: string;
  keyPem: string;
  keyType: KeyType;
  leafSha256: string;
  rootName: string;
}

/** What one endpoint serves: at most one chain per key type. */
export type EndpointMaterial = Partial<Record<KeyType, ChainMaterial>>;

/** Where an endpoint's chain comes from: a catalog chain id or the user's PEM files. */
export type ChainSource = { catalog: string } | { files: { cert: string; key: string; ca?: string } };

/**
 * A mixed rollout: each connection is served one of these chains, drawn by weight from a PRNG
 * (seeded: the same sequence on every run; unseeded: random). Azure served old and new chains side
 * by side during its migrations.
 */
export interface WeightedChainSource {
  weighted: Array<{ source: ChainSource; weight: number }>;
  seed?: number;
}

/** What an endpoint (or a timeline step) serves: one chain, or several by weight. */
export type ServedChainSource = ChainSource | WeightedChainSource;

export const isWeighted = (s: ServedChainSource): s is WeightedChainSource => 'weighted' in s;

/** The single chains a source serves (a weighted mix's options, else the source itself). */
export const singleSources = (s: ServedChainSource): ChainSource[] =>
  isWeighted(s) ? s.weighted.map((w) => w.source) : [s];
