/**
 * IoT Hub's verdict on a device connection after TLS (MQTT CONNECT, or each HTTPS request):
 * SAS devices by token, X.509 devices by the certificate sent in the handshake. A device whose
 * status is `disabled` is refused here, for every transport, as IoT Hub refuses it (401002).
 */
import type { PeerCertInfo } from '../tls/engines/types.js';
import type { RegistryLookup } from './types.js';
import type { OutcomeCode } from '../events/outcomes.js';
import { checkSas } from './sas.js';
import { judgeCaSigned, judgeThumbprint } from './x509.js';

export type AuthVerdict =
  | { ok: true; method: 'sas' | 'x509-thumbprint' | 'x509-ca'; detail: string }
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

export function authenticateDevice(registry: RegistryLookup, c: DeviceCredentials): AuthVerdict {
  const rec = registry.get(c.deviceId);
  if (!rec) return deviceRefusal(`IotHub does not contain the specified device '${c.deviceId}'`, 401002);
  if (rec.identity.status === 'disabled')
    return deviceRefusal(
      `device '${c.deviceId}' is disabled in the registry${rec.identity.statusReason ? ` (${rec.identity.statusReason})` : ''}`,
      401002,
    );
  const auth = rec.spec.auth;
  if (auth.type === 'none') return deviceRefusal(`device '${c.deviceId}' has authentication type none`, 401002);
  const what = `device '${c.deviceId}'`;
  if (auth.type === 'sas') {
    const v = checkSas(c.sas, {
      resource: `${c.hubHost}/devices/${c.deviceId}`,
      keys: [auth.primaryKey, auth.secondaryKey],
      now: c.now,
    });
    return v.ok
      ? { ok: true, method: 'sas', detail: `SAS token signed with the ${v.key} key` }
      : deviceRefusal(v.reason);
  }
  const v =
    auth.type === 'x509-thumbprint'
      ? judgeThumbprint(c.peerCert, [auth.primaryThumbprint, auth.secondaryThumbprint], c.now, what)
      : judgeCaSigned(c.peerCert, c.deviceId, registry.registeredCas(), c.now, what);
  return v.ok ? { ok: true, method: auth.type, detail: v.detail } : mtlsRefusal(v.reason);
}
