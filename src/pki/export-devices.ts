/**
 * The device part of `hubtls certs export`. Every stored device certificate is written under its
 * stored id (which ends in the window's start, e.g. `.20261201T000000Z`), and, so that scripts need
 * no glob, each device key also gets stable names without the timestamp
 * (`devices/<device>.<ca|self>.<rsa|ec>.crt.pem|key.pem|p12`) holding the certificate valid now (else
 * the newest one), and `devices/index.json` lists every file with its device id and window.
 */
import { PKCS12_PASSWORD } from './pkcs12-password.js';
import type { DeviceIssued } from './store.js';

export interface DeviceOutFile {
  name: string;
  data: string | Buffer;
  about: string;
  secret?: boolean;
}

type ToPkcs12 = typeof import('./pkcs12.js').toPkcs12;

interface IndexEntry {
  deviceId: string;
  signer: 'ca' | 'self';
  keyType: 'rsa' | 'ec';
  notBefore: string;
  notAfter: string;
  validNow: boolean;
  stable: boolean;
  cert: string;
  key: string;
  p12: string;
}

const deviceIdOf = (d: DeviceIssued) => d.subject.replace(/^CN=/, '');
/** The stored key id without `device.`: one per device, signer and key type. */
const stableStem = (d: DeviceIssued) => `devices/${d.id.replace(/^device\./, '').replace(/\.[^.]+$/, '')}`;
const validAt = (d: DeviceIssued, now: Date) => d.notBefore <= now && now < d.notAfter;

function filesFor(d: DeviceIssued, stem: string, toPkcs12: ToPkcs12, label: string): DeviceOutFile[] {
  const what = `device '${deviceIdOf(d)}' (${d.issuer === d.subject ? 'self-signed' : 'CA-signed'}, ${d.keyType.toUpperCase()}, until ${d.notAfter.toISOString().slice(0, 10)})${label}`;
  const chain = d.chainPem.slice(d.certPem.length);
  return [
    { name: `${stem}.crt.pem`, data: d.certPem, about: `${what}: certificate` },
    { name: `${stem}.key.pem`, data: d.keyPem, about: `${what}: private key (PKCS#8)`, secret: true },
    {
      name: `${stem}.p12`,
      data: toPkcs12([d.certPem, ...(chain ? [chain] : [])], d.keyPem, deviceIdOf(d)),
      about: `${what}: PKCS#12 with key and chain, password '${PKCS12_PASSWORD}'`,
      secret: true,
    },
  ];
}

/** Per key: the certificate valid now with the latest start, else the one with the latest start. */
function stableChoice(devices: DeviceIssued[], now: Date): Map<string, DeviceIssued> {
  const chosen = new Map<string, DeviceIssued>();
  const better = (a: DeviceIssued, b: DeviceIssued) =>
    validAt(a, now) !== validAt(b, now) ? validAt(a, now) : a.notBefore > b.notBefore;
  for (const d of devices) {
    const current = chosen.get(stableStem(d));
    if (!current || better(d, current)) chosen.set(stableStem(d), d);
  }
  return chosen;
}

function indexEntry(d: DeviceIssued, stem: string, now: Date, stable: boolean): IndexEntry {
  const m = /\.(ca|self)\.(rsa|ec)$/.exec(stableStem(d));
  return {
    deviceId: deviceIdOf(d),
    signer: (m?.[1] ?? 'ca') as 'ca' | 'self',
    keyType: (m?.[2] ?? d.keyType) as 'rsa' | 'ec',
    notBefore: d.notBefore.toISOString(),
    notAfter: d.notAfter.toISOString(),
    validNow: validAt(d, now),
    stable,
    cert: `${stem}.crt.pem`,
    key: `${stem}.key.pem`,
    p12: `${stem}.p12`,
  };
}

export function deviceFiles(devices: DeviceIssued[], toPkcs12: ToPkcs12, now = new Date()): DeviceOutFile[] {
  if (devices.length === 0) return [];
  const files: DeviceOutFile[] = [];
  const index: IndexEntry[] = [];
  for (const d of devices) {
    const stem = `devices/${d.id.replace(/^device\./, '')}`;
    files.push(...filesFor(d, stem, toPkcs12, ''));
    index.push(indexEntry(d, stem, now, false));
  }
  for (const [stem, d] of stableChoice(devices, now)) {
    files.push(...filesFor(d, stem, toPkcs12, ', stable name'));
    index.push(indexEntry(d, stem, now, true));
  }
  const json = JSON.stringify({ exportedAt: now.toISOString(), devices: index }, null, 2) + '\n';
  files.push({
    name: 'devices/index.json',
    data: json,
    about: 'every device file: device id, signer, key type, window, validNow, stable (name without timestamp)',
  });
  return files;
}
