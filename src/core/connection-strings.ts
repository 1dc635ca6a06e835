/**
 * Connection strings as the Azure portal shows them, for the emulated hub: service
 * (`HostName;SharedAccessKeyName;SharedAccessKey`), device and module (`HostName;DeviceId[;ModuleId];SharedAccessKey`).
 * The host is the name devices are told to connect to (hubHostName of the first iothub endpoint).
 */
import { HubtlsError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { hubHostName } from './compile.js';
import { DEFAULT_POLICY, type PolicySpec } from './policies.js';
import type { DeviceSpec } from './types.js';

/** The hub's host name: a concrete SNI name of the first iothub endpoint, else `hubtls.<its wildcard domain>`. */
export function hubHost(endpoints: ReadonlyArray<{ kind: string; hostnames: readonly string[] }>): string {
  const hub = endpoints.find((e) => e.kind === 'iothub');
  if (!hub)
    throw new HubtlsError(
      'HUBTLS_NO_HUB',
      'the scenario has no endpoint of kind iothub, so there is no hub to connect to',
      'add an iothub endpoint (see scenarios/default.yaml)',
    );
  return hubHostName(hub.hostnames);
}

/** The policy `hubtls run` shows: iothubowner when it exists, else the first one with ServiceConnect. */
export function bannerPolicy(policies: readonly PolicySpec[]): PolicySpec | undefined {
  return (
    policies.find((p) => p.name === DEFAULT_POLICY && p.rights.includes('ServiceConnect')) ??
    policies.find((p) => p.rights.includes('ServiceConnect'))
  );
}

export function serviceConnectionString(host: string, p: PolicySpec): string {
  return `HostName=${host};SharedAccessKeyName=${p.name};SharedAccessKey=${p.primaryKey}`;
}

/** The named policy, or an error listing the ones the hub has. */
export function requirePolicy(policies: readonly PolicySpec[], name: string): PolicySpec {
  const p = policies.find((x) => x.name === name);
  if (p) return p;
  const names = policies.map((x) => x.name);
  throw new HubtlsError(
    'HUBTLS_UNKNOWN_POLICY',
    `no shared access policy '${name}'${didYouMean(name, names)}`,
    names.length ? `the hub has: ${names.join(', ')}` : 'the scenario has policies: [] (no policies at all)',
  );
}

/**
 * A device's (or module's) connection string; only SAS devices have one with a key. Modules are the
 * scenario's (`devices[].modules`); those made through the service API exist only in a running hub.
 */
export function deviceConnectionString(
  host: string,
  devices: readonly DeviceSpec[],
  id: string,
  moduleId?: string,
): string {
  const d = devices.find((x) => x.id === id);
  if (!d) {
    const ids = devices.map((x) => x.id);
    throw new HubtlsError(
      'HUBTLS_DEVICE_NOT_FOUND',
      `no device '${id}' in the scenario${didYouMean(id, ids)}`,
      ids.length ? `devices: ${ids.join(', ')}` : 'add it under devices: in the scenario',
    );
  }
  if (moduleId !== undefined) {
    const m = d.modules?.find((x) => x.id === moduleId);
    const ids = d.modules?.map((x) => x.id) ?? [];
    if (!m)
      throw new HubtlsError(
        'HUBTLS_MODULE_NOT_FOUND',
        `device '${id}' has no module '${moduleId}' in the scenario${didYouMean(moduleId, ids)}`,
        ids.length
          ? `its modules: ${ids.join(', ')}`
          : `add it under the device's modules: in the scenario (modules created through the service API at run time get their keys in the API's answer)`,
      );
    return `HostName=${host};DeviceId=${id};ModuleId=${moduleId};SharedAccessKey=${m.primaryKey}`;
  }
  if (d.auth.type !== 'sas')
    throw new HubtlsError(
      'HUBTLS_NOT_A_SAS_DEVICE',
      `device '${id}' authenticates with ${d.auth.type} (a certificate), so its connection string has no key`,
      `use HostName=${host};DeviceId=${id};x509=true with the certificate and key from \`npx hubtls certs export --out DIR\` (devices/${id}.*)`,
    );
  return `HostName=${host};DeviceId=${id};SharedAccessKey=${d.auth.primaryKey}`;
}
