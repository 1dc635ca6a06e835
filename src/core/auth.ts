/**
 * IoT Hub's verdict on a device connection after TLS (MQTT CONNECT, or each HTTPS request):
 * SAS devices by token, X.509 devices by the certificate sent in the handshake. A device whose
 * status is `disabled` is refused here, for every transport, as IoT Hub refuses it (401002).
 */
import type { PeerCertInfo } from '../tls/engines/types.js';
import type { DeviceAuth, DeviceRecord, RegistryLookup } from './types.js';
import type { OutcomeCode } from '../events/outcomes.js';
import { checkSas, parseSas } from './sas.js';
import { judgeCaSigned, judgeThumbprint } from './x509.js';

export type AuthVerdict =
  | { ok: true; method: 'sas' | 'x509-thumbprint' | 'x509-ca' | 'policy'; detail: string }
  | {
      ok: false;
      outcome: Extract<OutcomeCode, 'HUBTLS_MTLS_UNAUTHORIZED' | 'HUBTLS_DEVICE_UNAUTHORIZED'>;
      errorCode: 401002 | 401003;
      reason: string;
    };

export interface DeviceCredentials {
  deviceId: string;
  /** Hub host name the device put in its username / SAS resource. */
  hubHost: string;
  sas?: string;
  peerCert?: PeerCertInfo;
  now: Date;
}

export function mtlsRefusal(reason: string): AuthVerdict {
  return { ok: false, outcome: 'HUBTLS_MTLS_UNAUTHORIZED', errorCode: 401002, reason };
}

export function deviceRefusal(reason: string, errorCode: 401002 | 401003 = 401003): AuthVerdict {
  return { ok: false, outcome: 'HUBTLS_DEVICE_UNAUTHORIZED', errorCode, reason };
}

/**
 * A token with skn is signed with a shared access policy's key, as a protocol gateway or field
 * gateway connects on behalf of devices: the policy needs DeviceConnect, and the token's sr must be
 * the hub or this device (`{hub}/devices/{id}`), whatever the device's own authentication.
 */
function policyVerdict(registry: RegistryLookup, c: DeviceCredentials, sas: string): AuthVerdict {
  const v = registry.policies.authorize(sas, c.hubHost, 'DeviceConnect');
  if (!v.ok) return deviceRefusal(v.reason);
  const scope = parseSas(sas)!.resource.slice(c.hubHost.length).toLowerCase().replace(/\/+$/, '');
  const own = `/devices/${c.deviceId}`.toLowerCase();
  if (scope !== '' && scope !== own && !scope.startsWith(`${own}/`))
    return deviceRefusal(`policy token is scoped to '${scope}', not to device '${c.deviceId}'`);
  return { ok: true, method: 'policy', detail: `SAS token of policy '${v.policy}' (DeviceConnect)` };
}

function judge(
  registry: RegistryLookup,
  auth: DeviceAuth,
  c: DeviceCredentials,
  who: { name: string; resource: string },
): AuthVerdict {
  if (c.sas && parseSas(c.sas)?.keyName) return policyVerdict(registry, c, c.sas);
  if (auth.type === 'none') return deviceRefusal(`${who.name} has authentication type none`, 401002);
  if (auth.type === 'sas') {
    const v = checkSas(c.sas, { resource: who.resource, keys: [auth.primaryKey, auth.secondaryKey], now: c.now });
    return v.ok
      ? { ok: true, method: 'sas', detail: `SAS token signed with the ${v.key} key` }
      : deviceRefusal(v.reason);
  }
  const v =
    auth.type === 'x509-thumbprint'
      ? judgeThumbprint(c.peerCert, [auth.primaryThumbprint, auth.secondaryThumbprint], c.now, who.name)
      : judgeCaSigned(c.peerCert, c.deviceId, registry.registeredCas(), c.now, who.name);
  return v.ok ? { ok: true, method: auth.type, detail: v.detail } : mtlsRefusal(v.reason);
}

function disabled(rec: DeviceRecord): AuthVerdict | undefined {
  if (rec.identity.status !== 'disabled') return undefined;
  const why = rec.identity.statusReason ? ` (${rec.identity.statusReason})` : '';
  return deviceRefusal(`device '${rec.spec.id}' is disabled in the registry${why}`, 401002);
}

export function authenticateDevice(registry: RegistryLookup, c: DeviceCredentials): AuthVerdict {
  const rec = registry.get(c.deviceId);
  if (!rec) return deviceRefusal(`IotHub does not contain the specified device '${c.deviceId}'`, 401002);
  return (
    disabled(rec) ??
    judge(registry, rec.spec.auth, c, {
      name: `device '${c.deviceId}'`,
      resource: `${c.hubHost}/devices/${c.deviceId}`,
    })
  );
}

/** A module connection (`{hub}/{device}/{module}/…`): the module's own credentials; a disabled device's modules are refused. */
export function authenticateModule(registry: RegistryLookup, c: DeviceCredentials & { moduleId: string }): AuthVerdict {
  const rec = registry.get(c.deviceId);
  const mod = rec?.modules.get(c.moduleId);
  if (!rec || !mod)
    return deviceRefusal(`IotHub does not contain the specified module '${c.deviceId}/${c.moduleId}'`, 401002);
  return (
    disabled(rec) ??
    judge(registry, mod.auth, c, {
      name: `module '${c.deviceId}/${c.moduleId}'`,
      resource: `${c.hubHost}/devices/${c.deviceId}/modules/${c.moduleId}`,
    })
  );
}
