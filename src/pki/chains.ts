/**
 * Served chains (leaf, then intermediates; the root is known but never served) and the leaf
 * kinds. Pure data plus lookups. Defect fixtures are chains named by their defect.
 */
import { HubtlsError } from '../errors.js';
import type { ChainDef, ChainInfo, DefectId, DnPart, LeafKind, LeafOverrides } from './types.js';

const G2_CA = 'azure-rsa-tls-ca-03@g2';
const MS_CA = 'azure-rsa-tls-ca-03@msrsa2017';

export const CHAINS: readonly ChainDef[] = [
  {
    id: 'baltimore',
    rootId: 'baltimore',
    keyType: 'rsa',
    leafIssuerId: 'ms-rsa-tls-ca-01',
    served: ['ms-rsa-tls-ca-01'],
    description: 'IoT Hub/DPS 2020-2023: Microsoft RSA TLS CA 01 under Baltimore CyberTrust Root',
  },
  {
    id: 'baltimore-msit',
    rootId: 'baltimore',
    keyType: 'rsa',
    leafIssuerId: 'ms-it-tls-ca-1',
    served: ['ms-it-tls-ca-1'],
    description: 'IoT Hub before 2020: Microsoft IT TLS CA 1 under Baltimore CyberTrust Root',
  },
  {
    id: 'g2',
    rootId: 'digicert-g2',
    keyType: 'rsa',
    leafIssuerId: G2_CA,
    served: [G2_CA],
    description: "Today's default: Microsoft Azure RSA TLS Issuing CA 03 under DigiCert Global Root G2",
  },
  {
    id: 'g2-tls01',
    rootId: 'digicert-g2',
    keyType: 'rsa',
    leafIssuerId: 'azure-tls-ca-01',
    served: ['azure-tls-ca-01'],
    description: 'The 2023 G2 migration chain: Microsoft Azure TLS Issuing CA 01 under DigiCert Global Root G2',
  },
  {
    id: 'g2-ca04',
    rootId: 'digicert-g2',
    keyType: 'rsa',
    leafIssuerId: 'azure-rsa-tls-ca-04@g2',
    served: ['azure-rsa-tls-ca-04@g2'],
    description: 'Intermediate rotation: same root (G2), the leaf now from Microsoft Azure RSA TLS Issuing CA 04',
  },
  {
    id: 'msrsa2017',
    rootId: 'msrsa2017',
    keyType: 'rsa',
    leafIssuerId: MS_CA,
    served: [MS_CA],
    description: 'Azure RSA TLS Issuing CA 03 under Microsoft RSA Root CA 2017 (Azure moving to its own root)',
  },
  {
    id: 'g2-cross-msrsa2017',
    rootId: 'digicert-g2',
    altRootIds: ['msrsa2017'],
    keyType: 'rsa',
    leafIssuerId: G2_CA,
    served: [G2_CA, MS_CA],
    description:
      'Cross-signed: leaf, CA 03 by G2, CA 03 by MS RSA 2017; OpenSSL clients follow the first (G2) path only',
  },
  {
    id: 'ecc-g3',
    rootId: 'digicert-g3',
    keyType: 'ec',
    leafIssuerId: 'azure-ecc-tls-ca-03@g3',
    served: ['azure-ecc-tls-ca-03@g3'],
    description: 'ECC chain (P-384): Microsoft Azure ECC TLS Issuing CA 03 under DigiCert Global Root G3',
  },
  {
    id: 'ecc-msecc2017',
    rootId: 'msecc2017',
    keyType: 'ec',
    leafIssuerId: 'azure-ecc-tls-ca-03@msecc2017',
    served: ['azure-ecc-tls-ca-03@msecc2017'],
    description: 'ECC chain (P-384): Microsoft Azure ECC TLS Issuing CA 03 under Microsoft ECC Root CA 2017',
  },
  ...defects(),
];

/** Defect fixtures: all on the g2 path unless the defect is the path itself. */
function defects(): ChainDef[] {
  const g2 = (id: DefectId, description: string, leaf?: LeafOverrides, served: string[] = [G2_CA]): ChainDef => ({
    id,
    defect: id,
    rootId: 'digicert-g2',
    keyType: 'rsa',
    leafIssuerId: G2_CA,
    served,
    description,
    leaf,
  });
  return [
    g2('expired', 'Defect: the leaf expired 30 days before the reference time', { window: 'expired' }),
    g2('not-yet-valid', 'Defect: the leaf becomes valid 30 days after the reference time', { window: 'not-yet-valid' }),
    g2('wrong-host', 'Defect: the leaf names *.wrong-host.example only (hostname mismatch)', { wrongHost: true }),
    g2('missing-intermediate', 'Defect: the server sends the leaf without its intermediate', undefined, []),
    g2('self-signed-leaf', "Defect: a self-signed leaf with the hub's names", { selfSigned: true }, []),
    {
      id: 'untrusted-root',
      defect: 'untrusted-root',
      rootId: 'untrusted-root',
      keyType: 'rsa',
      leafIssuerId: 'untrusted-issuing-ca',
      served: ['untrusted-issuing-ca'],
      description: "Defect: the hub's names under a root no device trusts (interception proxy)",
    },
    g2('sha1-leaf', 'Defect: the leaf is signed with sha1WithRSAEncryption', { signature: 'sha1WithRSAEncryption' }),
    {
      ...g2(
        'oversized-chain',
        'Defect: served chain over 16 KB (500 extra SANs plus the cross-signed CA), for small device buffers',
        { extraSans: 500 },
        [G2_CA, MS_CA],
      ),
      altRootIds: ['msrsa2017'],
    },
    g2(
      'weak-key',
      "Defect: RSA-1024 leaf: passes OpenSSL security level 1, fails level 2 and mbedTLS's default profile",
      { rsaBits: 1024 },
    ),
  ];
}

const CHAIN_BY_ID = new Map(CHAINS.map((c) => [c.id, c]));

export const DEFAULT_CHAIN = 'g2';

export function chainIds(): string[] {
  return CHAINS.map((c) => c.id);
}

/** The chain definition, or HUBTLS_UNKNOWN_CHAIN naming the valid ids. */
export function getChain(id: string): ChainDef {
  const chain = CHAIN_BY_ID.get(id);
  if (chain) return chain;
  throw new HubtlsError(
    'HUBTLS_UNKNOWN_CHAIN',
    `unknown chain '${id}'`,
    `hint: use one of ${chainIds().join(', ')} (hubtls certs list describes them)`,
  );
}

export function chainInfos(): ChainInfo[] {
  return CHAINS.map(chainInfo);
}

function chainInfo(c: ChainDef): ChainInfo {
  const info: ChainInfo = {
    id: c.id,
    description: c.description,
    rootId: c.rootId,
    altRootIds: [...(c.altRootIds ?? [])],
    keyType: c.keyType,
    leafIssuerId: c.leafIssuerId,
    served: [...c.served],
  };
  if (c.defect) info.defect = c.defect;
  return info;
}

const LEAF_DN: DnPart[] = [
  ['C', 'US'],
  ['ST', 'WA'],
  ['L', 'Redmond'],
  ['O', 'Microsoft Corporation'],
];

/**
 * Leaf names per kind. Besides the Azure names, every leaf also carries `localhost`, 127.0.0.1
 * and ::1 so that a local client dialling the emulator by address passes its hostname check;
 * real Azure leaves do not have these (the wrong-host fixture has neither).
 */
export const LEAF_NAMES: Record<LeafKind, { cn: string; dns: string[] }> = {
  // The three names of the last public copy of the hub's leaf (2015, Azure IoT C SDK samples; see real-certs.ts).
  iothub: {
    cn: '*.azure-devices.net',
    dns: ['*.azure-devices.net', '*.amqpws.azure-devices.net', '*.su.management-azure-devices.net'],
  },
  dps: {
    cn: '*.azure-devices-provisioning.net',
    dns: ['*.azure-devices-provisioning.net', 'global.azure-devices-provisioning.net'],
  },
};

export const LOCAL_NAMES = { dns: ['localhost'], ip: ['127.0.0.1', '::1'] };

export const WRONG_HOST = '*.wrong-host.example';

export function leafSubject(cn: string): DnPart[] {
  return [...LEAF_DN, ['CN', cn]];
}
