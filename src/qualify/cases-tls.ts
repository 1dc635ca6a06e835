/**
 * The TLS cases: each runs the device against one generated hub endpoint and grades its handshakes.
 * Sources are the seed pages in /work/shared/seeds (IoT Hub TLS support) and Microsoft's public
 * docs, named in `source`; docs/qualify.md lists them.
 */
import * as g from './grade-tls.js';
import { settled } from './recording.js';
import type { QualifyCase, Recording } from './types.js';

const TLS_DOC = 'learn.microsoft.com/azure/iot-hub/iot-hub-tls-support (seed 002/003)';
const G2_DOC = 'learn.microsoft.com/azure/iot-hub/migrate-tls-certificate (DigiCert Global Root G2 migration, 2023)';
const today = { profile: 'iothub-2025', chain: 'g2', eccChain: 'ecc-g3' };

/** Enough once the first handshake's verdict is final (or the device spoke MQTT over it). */
const firstSettled = (rec: Recording, now = Infinity) => rec.handshakes.some((h) => settled(rec, h, now));
/** Enough once a connection after the first (the one that met the change) is settled. */
const secondSettled = (rec: Recording, now = Infinity) => rec.handshakes.slice(1).some((h) => settled(rec, h, now));

function refusal(id: string, title: string, chain: string, defect: string, check: string, azure: string): QualifyCase {
  return {
    id,
    group: 'tls',
    title,
    proves: `the device verifies the server certificate (${check}) and refuses ${defect}`,
    azure,
    source: TLS_DOC,
    endpoint: { profile: 'iothub-2025', chain },
    limitMs: 15_000,
    enough: (rec, now) => firstSettled(rec, now),
    grade: g.gradeRefuses(defect, check),
  };
}

const rotation = (kind: 'leaf' | 'intermediate'): QualifyCase => ({
  id: `tls-${kind}-rotation`,
  group: 'tls',
  title: `survives ${kind === 'leaf' ? 'a leaf' : 'an intermediate'} certificate rotation`,
  proves: `the device pins nothing below the root: a new ${kind === 'leaf' ? 'leaf key' : 'issuing CA'} under the same root is accepted`,
  azure:
    kind === 'leaf'
      ? 'IoT Hub leaf certificates are renewed regularly (new key and serial); Microsoft advises against pinning them'
      : 'Azure moves hubs between issuing CAs (Microsoft Azure RSA TLS Issuing CA 03/04/07/08) without notice; pin only roots',
  source: 'learn.microsoft.com/azure/security/fundamentals/azure-ca-details (Azure Certificate Authority details)',
  endpoint: today,
  timeline: [
    {
      after: { connections: 1, endpoint: 'hub' },
      ...(kind === 'leaf' ? { rotateLeaf: true } : { rotateIntermediate: true }),
      drop: true,
    },
  ],
  limitMs: 30_000,
  enough: (rec, now) => secondSettled(rec, now),
  grade: g.gradeChainChange(
    `${kind} rotation`,
    `pin (if at all) the root, never the ${kind}: trust the roots in HUBTLS_CA`,
  ),
});

export const TLS_CASES: QualifyCase[] = [
  {
    id: 'tls-connect',
    group: 'tls',
    title: "connects to today's hub (TLS 1.2, 2025 suites, G2 chain)",
    proves: 'the device completes a TLS 1.2 handshake with the suites and chain IoT Hub serves after 2025-08-31',
    azure:
      'since 2025-08-31 every IoT Hub requires TLS 1.2 with eight ECDHE suites and serves the DigiCert Global Root G2 chain',
    source: TLS_DOC,
    endpoint: today,
    limitMs: 15_000,
    enough: (rec, now) => firstSettled(rec, now),
    grade: g.gradeConnect,
  },
  {
    id: 'tls-suites',
    group: 'tls',
    title: 'offers only cipher suites Azure accepts',
    proves: 'the ClientHello holds at least one of the eight suites and (for a pass) nothing Azure refuses',
    azure: 'IoT Hub accepts ECDHE-ECDSA/ECDHE-RSA with AES-128/256-GCM and AES-128-CBC-SHA256/AES-256-CBC-SHA384 only',
    source: TLS_DOC,
    endpoint: today,
    limitMs: 15_000,
    enough: (rec) => rec.handshakes.length > 0,
    grade: g.gradeSuites,
  },
  {
    id: 'tls-g2-migration',
    group: 'tls',
    title: 'survives the Baltimore → DigiCert G2 migration',
    proves:
      'the device trusts both the legacy Baltimore root and DigiCert Global Root G2, and reconnects after the switch',
    azure:
      'IoT Hub moved from Baltimore CyberTrust Root to DigiCert Global Root G2 in 2023, hub by hub, dropping connections',
    source: G2_DOC,
    endpoint: { profile: 'iothub-2025', chain: 'baltimore' },
    timeline: [{ after: { connections: 1, endpoint: 'hub' }, chain: 'g2', drop: true }],
    limitMs: 30_000,
    enough: (rec, now) => secondSettled(rec, now),
    grade: g.gradeChainChange(
      'migration to G2',
      'trust DigiCert Global Root G2 and keep Baltimore until the hub has migrated (HUBTLS_CA_LEGACY)',
    ),
  },
  rotation('leaf'),
  rotation('intermediate'),
  refusal(
    'tls-expired',
    'refuses an expired server certificate',
    'expired',
    'a leaf that expired 30 days ago',
    'notAfter against a correct clock',
    'an expired certificate means an interceptor or a wrong clock; IoT Hub never serves one',
  ),
  refusal(
    'tls-wrong-name',
    'refuses a certificate for another host name',
    'wrong-host',
    'a leaf naming *.wrong-host.example',
    'the host name against the SAN',
    'the hub certificate names *.azure-devices.net; anything else is not the hub',
  ),
  refusal(
    'tls-untrusted-root',
    'refuses a chain to an untrusted root',
    'untrusted-root',
    "the hub's names under an unknown root",
    'the chain up to a trusted root',
    'an unknown root is an interception proxy; IoT Hub chains to DigiCert G2 / Microsoft RSA 2017',
  ),
  refusal(
    'tls-not-yet-valid',
    'refuses a not-yet-valid certificate (device clock at 1970)',
    'not-yet-valid',
    'a leaf valid only in 30 days',
    'notBefore: set the clock (NTP/SNTP) before TLS',
    'a device whose clock starts at 1970 sees every certificate as not yet valid; it must set its time first',
  ),
  {
    id: 'tls-large-chain',
    group: 'tls',
    title: 'completes with a server chain larger than production',
    proves: 'the TLS receive buffer holds a server flight larger than today’s (no 4 KB buffer)',
    azure:
      'Azure certificates grow (SANs, SCTs, policies, cross-signed CAs); IoT Hub does not honour max_fragment_length',
    source: TLS_DOC,
    endpoint: { profile: 'iothub-2025', chain: 'oversized-chain' },
    limitMs: 15_000,
    enough: (rec, now) => firstSettled(rec, now),
    grade: g.gradeLargeChain,
  },
  {
    id: 'tls-16k-records',
    group: 'tls',
    title: 'receives 16 KB records (the hub ignores max_fragment_length)',
    proves: 'a 60 KB cloud-to-device message, sent in full 16 KB TLS records, is received and acknowledged',
    azure:
      'IoT Hub ignores the max_fragment_length extension and sends records up to 16 KB; C2D messages go up to 64 KB',
    source: 'learn.microsoft.com/azure/iot-hub/iot-hub-tls-support (TLS configuration: max fragment length)',
    endpoint: today,
    limitMs: 20_000,
    control: (rec, h) => {
      const subscribed = rec.sessions.some((s) => s.action === 'subscribe' && s.ok && /devicebound/.test(s.reason));
      if (!subscribed || h.done.has('c2d')) return;
      h.done.add('c2d');
      h.sendC2D(60_000);
    },
    enough: (rec) =>
      rec.sessions.some(
        (s) =>
          s.action === 'c2d-complete' || (s.action === 'disconnect' && rec.sessions.some((c) => c.action === 'c2d')),
      ),
    grade: g.gradeFullRecords,
  },
  {
    id: 'tls-ecc-only',
    group: 'tls',
    title: 'takes the ECC chain when it offers ECDSA suites only',
    proves:
      'an ECDSA-only device trusts DigiCert Global Root G3 / Microsoft ECC Root CA 2017 (na for devices that offer RSA)',
    azure: 'IoT Hub serves its ECC certificate to clients that offer only ECDSA suites',
    source:
      'learn.microsoft.com/azure/iot-hub/iot-hub-tls-support#elliptic-curve-cryptography-ecc-server-tls-certificate-preview',
    endpoint: { profile: 'iothub-ecc-preview', chain: 'g2', eccChain: 'ecc-g3' },
    limitMs: 15_000,
    enough: (rec, now) => firstSettled(rec, now),
    grade: g.gradeEccOnly,
  },
  {
    id: 'tls-13-sni',
    group: 'tls',
    title: 'TLS 1.3 preview with SNI',
    proves: 'a device that offers TLS 1.3 sends SNI and completes TLS 1.3 (na when it offers TLS 1.2 only)',
    azure: 'the IoT Hub TLS 1.3 preview requires server_name',
    source: 'learn.microsoft.com/azure/iot-hub/iot-hub-tls-support#tls-13-preview',
    endpoint: { profile: 'iothub-tls13-preview', chain: 'g2', eccChain: 'ecc-g3' },
    limitMs: 15_000,
    enough: (rec, now) => firstSettled(rec, now),
    grade: g.gradeTls13,
  },
];
