/** The scenario a case runs on, as a document: one IoT Hub endpoint on a free port, the case's device registered. */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { QualifyCase } from './types.js';

/** How the case's device authenticates: a symmetric key (SAS) or its CA-signed certificate (HUBTLS_DEVICE_CERT). */
export type DeviceAuth = 'sas' | 'x509';

export const HUB_HOST = 'myhub.azure-devices.net';

export interface CaseScenario {
  file: string;
  /** The key the hub holds for the device. */
  key: string;
}

/** The registry entry: SAS with `key`, or X.509 CA-signed (device-root-ca); `sas-wrong-key` cases get credentials that fail. */
function deviceEntry(c: QualifyCase, deviceId: string, key: string, auth: DeviceAuth): Record<string, unknown> {
  if (auth === 'sas') return { id: deviceId, auth: 'sas', primaryKey: key };
  return c.credentials === 'sas-wrong-key'
    ? { id: deviceId, auth: 'x509-thumbprint', primaryThumbprint: randomBytes(20).toString('hex').toUpperCase() }
    : { id: deviceId, auth: 'x509-ca' };
}

export function caseScenarioDoc(
  c: QualifyCase,
  deviceId: string,
  key: string,
  auth: DeviceAuth = 'sas',
): Record<string, unknown> {
  const { after, ...ep } = c.endpoint;
  return {
    name: `qualify-${c.id}`,
    description: c.title,
    listen: { host: '127.0.0.1', port: 0 },
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        // "localhost": the Azure SDKs dial GatewayHostName=localhost:PORT and send it as SNI.
        hostnames: ['*.azure-devices.net', 'localhost'],
        default: true,
        ...ep,
        after: { mode: 'mqtt', ...after },
      },
    ],
    devices: [deviceEntry(c, deviceId, key, auth)],
    ...(c.timeline ? { timeline: c.timeline } : {}),
  };
}

/** Writes the case's scenario (JSON is YAML) into a fresh temp folder. */
export function writeCaseScenario(c: QualifyCase, deviceId: string, auth: DeviceAuth = 'sas'): CaseScenario {
  const key = randomBytes(32).toString('base64');
  const dir = mkdtempSync(path.join(os.tmpdir(), `hubtls-qualify-${c.id}-`));
  const file = path.join(dir, `${c.id}.yaml`);
  writeFileSync(file, JSON.stringify(caseScenarioDoc(c, deviceId, key, auth), null, 2));
  return { file, key };
}

/** The device connection string a case hands out: the SDK form (`x509=true` for X.509), GatewayHostName naming the free port. */
export function connectionString(deviceId: string, key: string, port: number, auth: DeviceAuth = 'sas'): string {
  const cred = auth === 'sas' ? `SharedAccessKey=${key}` : 'x509=true';
  return `HostName=${HUB_HOST};DeviceId=${deviceId};${cred};GatewayHostName=localhost:${port}`;
}
