/**
 * Turns catalog entries and requests (chain + kind + generation + validAt, device id) into
 * concrete certificate specs: everything needed to issue one certificate, and its id.
 */
import { HubtlsError } from '../errors.js';
import { findCa, STAND_IN_NOT_AFTER } from './catalog.js';
import { getChain, LEAF_NAMES, leafSubject, LOCAL_NAMES, WRONG_HOST } from './chains.js';
import { REAL_LEAVES, realCa, type CertExtras } from './real-certs.js';
import type { CertRole, ChainDef, DnPart, KeyShape, KeyType, LeafKind, SigAlg, WindowStatus } from './types.js';

export interface KeyRef {
  id: string;
  shape: KeyShape;
}

export interface CertSpec {
  id: string;
  key: KeyRef;
  role: CertRole;
  subject: readonly DnPart[];
  /** Certificate id of the issuer; null for self-signed. */
  issuerId: string | null;
  signature: SigAlg;
  notBefore: Date;
  notAfter: Date;
  san?: { dns: string[]; ip: string[] };
  /** The real certificate's extra extensions (AIA, CRL DP, policies, SCTs…), so the stand-in has its size. */
  extras?: CertExtras;
}

/** A certificate that is re-issued per validity window with one key (leaves, device certs). */
export interface WindowedTemplate {
  key: KeyRef;
  /** The window status this certificate must have at `validAt`. */
  status: WindowStatus;
  /** Explicit window (device certs with a given validity); otherwise derived from validAt. */
  fixed?: { notBefore: Date; notAfter: Date };
  spec(window: { notBefore: Date; notAfter: Date }): CertSpec;
}

const DAY = 86_400_000;
/** A 'valid' certificate is re-issued once it has less than this left at validAt. */
export const MIN_REMAINING_MS = 30 * DAY;

export function caSpec(id: string): CertSpec {
  const ca = findCa(id);
  if (!ca) throw new HubtlsError('HUBTLS_UNKNOWN_CA', `unknown CA '${id}'`);
  return {
    id,
    key: { id: ca.keyId, shape: ca.key },
    role: ca.role,
    subject: ca.subject,
    issuerId: ca.issuerId === id ? null : ca.issuerId,
    signature: ca.signature,
    notBefore: new Date(ca.notBefore),
    notAfter: new Date(STAND_IN_NOT_AFTER),
    extras: realCa(id)?.extras,
  };
}

/** Window around validAt: valid −90 d…+275 d; expired ended 30 d before; not-yet-valid starts 30 d after. */
export function windowFor(status: WindowStatus, validAt: Date): { notBefore: Date; notAfter: Date } {
  const t = Math.floor(validAt.getTime() / 1000) * 1000;
  const [from, to] = status === 'valid' ? [-90, 275] : status === 'expired' ? [-395, -30] : [30, 395];
  return { notBefore: new Date(t + from * DAY), notAfter: new Date(t + to * DAY) };
}

/** A defect window is reused while its edge is 1 to 60 days away from validAt (designed: 30). */
const DEFECT_BAND_MS: readonly [number, number] = [DAY, 60 * DAY];

/** Whether a cached window still tells the same story at validAt (so the certificate is reused). */
export function windowFits(status: WindowStatus, nb: Date, na: Date, validAt: Date): boolean {
  const t = validAt.getTime();
  const inBand = (ms: number) => ms >= DEFECT_BAND_MS[0] && ms <= DEFECT_BAND_MS[1];
  if (status === 'valid') return nb.getTime() <= t && na.getTime() - t >= MIN_REMAINING_MS;
  if (status === 'expired') return inBand(t - na.getTime());
  return inBand(nb.getTime() - t);
}

/** Compact UTC stamp for ids: 20250101T000000Z. */
export function stamp(d: Date): string {
  return d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

function leafKey(chain: ChainDef, kind: LeafKind, generation: number): KeyRef {
  const shape: KeyShape =
    chain.keyType === 'ec' ? { type: 'ec', curve: 'P-384' } : { type: 'rsa', bits: chain.leaf?.rsaBits ?? 2048 };
  return { id: `leaf.${kind}.${chain.id}.g${generation}`, shape };
}

function leafNames(chain: ChainDef, kind: LeafKind): { cn: string; dns: string[]; ip: string[] } {
  if (chain.leaf?.wrongHost) return { cn: WRONG_HOST, dns: [WRONG_HOST], ip: [] };
  const names = LEAF_NAMES[kind];
  const suffix = names.cn.slice(2);
  const extra = Array.from(
    { length: chain.leaf?.extraSans ?? 0 },
    (_, i) => `hub${String(i).padStart(4, '0')}.${suffix}`,
  );
  return { cn: names.cn, dns: [...names.dns, ...LOCAL_NAMES.dns, ...extra], ip: LOCAL_NAMES.ip };
}

function leafSignature(chain: ChainDef, key: KeyShape): SigAlg {
  if (chain.leaf?.signature) return chain.leaf.signature;
  if (chain.leaf?.selfSigned) return key.type === 'ec' ? 'ecdsa-with-SHA384' : 'sha256WithRSAEncryption';
  return findCa(chain.leafIssuerId)?.leafSignature ?? 'sha256WithRSAEncryption';
}

export function leafTemplate(chainId: string, kind: LeafKind, generation = 1): WindowedTemplate {
  if (!Number.isInteger(generation) || generation < 1) {
    throw new HubtlsError('HUBTLS_BAD_GENERATION', `leaf generation must be an integer ≥ 1, got ${generation}`);
  }
  const chain = getChain(chainId);
  const key = leafKey(chain, kind, generation);
  const names = leafNames(chain, kind);
  const base = {
    key,
    role: 'tls-leaf' as const,
    subject: leafSubject(names.cn),
    san: { dns: names.dns, ip: names.ip },
    issuerId: chain.leaf?.selfSigned ? null : chain.leafIssuerId,
    signature: leafSignature(chain, key.shape),
    extras: REAL_LEAVES[kind].extras,
  };
  return {
    key,
    status: chain.leaf?.window ?? 'valid',
    spec: (w) => ({ ...base, ...w, id: `${key.id}.${stamp(w.notBefore)}` }),
  };
}

export type DeviceValidity = WindowStatus | { notBefore: Date; notAfter: Date };

export interface DeviceCertOptions {
  /** 'ca': signed by device-root-ca (default); 'self': self-signed (thumbprint auth). */
  signer?: 'ca' | 'self';
  keyType?: KeyType;
  /** 'valid' (default), 'expired', 'not-yet-valid' relative to validAt, or an explicit window. */
  validity?: DeviceValidity;
  validAt?: Date;
}

/** IoT Hub's device (and module) id rule: up to 128 of [A-Za-z0-9-.%_*?!(),:=@$']. The one copy. */
export const DEVICE_ID = /^[A-Za-z0-9\-.%_*?!(),:=@$']{1,128}$/;

/** Device id as a file-name-safe token: anything outside [A-Za-z0-9_-] becomes ~XX. */
export function safeDeviceId(deviceId: string): string {
  return deviceId.replace(/[^A-Za-z0-9_-]/g, (c) => `~${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

export function deviceTemplate(deviceId: string, opts: DeviceCertOptions = {}): WindowedTemplate {
  if (!DEVICE_ID.test(deviceId)) {
    throw new HubtlsError(
      'HUBTLS_BAD_DEVICE_ID',
      `invalid device id '${deviceId}'`,
      "hint: IoT Hub device ids are 1-128 characters of A-Z a-z 0-9 - . % _ * ? ! ( ) , : = @ $ '",
    );
  }
  const signer = opts.signer ?? 'ca';
  const keyType = opts.keyType ?? 'rsa';
  const shape: KeyShape = keyType === 'ec' ? { type: 'ec', curve: 'P-256' } : { type: 'rsa', bits: 2048 };
  const key = { id: `device.${safeDeviceId(deviceId)}.${signer}.${keyType}`, shape };
  const signature: SigAlg = signer === 'self' && keyType === 'ec' ? 'ecdsa-with-SHA256' : 'sha256WithRSAEncryption';
  const validity = opts.validity ?? 'valid';
  const fixed = typeof validity === 'object' ? validity : undefined;
  return {
    key,
    status: typeof validity === 'string' ? validity : 'valid',
    ...(fixed ? { fixed } : {}),
    spec: (w) => ({
      ...w,
      id: `${key.id}.${stamp(w.notBefore)}${fixed ? `-${stamp(w.notAfter)}` : ''}`,
      key,
      role: 'device',
      subject: [['CN', deviceId]],
      issuerId: signer === 'ca' ? 'device-root-ca' : null,
      signature,
    }),
  };
}
