/**
 * The hub's shared access policies and the check IoT Hub makes of a service SAS token:
 * `SharedAccessSignature sr={url-encoded hub host}&sig={base64 HMAC-SHA256 of "{sr}\n{se}"}&se={expiry}&skn={policy}`,
 * signed with either key of the policy named by `skn`, valid until `se` by the scenario clock, for
 * this hub, and the policy must grant the right the operation needs. Pure: no I/O, no clock reads.
 */
import { didYouMean } from '../util/suggest.js';
import { expiryProblem, parseSas, signedWith } from './sas.js';

export type Right = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';

/** Every right, in the order the Azure portal lists them. */
export const RIGHTS: readonly Right[] = ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'];

/** The policy an Azure hub is created with, and the one hubtls makes when the scenario names none. */
export const DEFAULT_POLICY = 'iothubowner';

export interface PolicySpec {
  name: string;
  primaryKey: string;
  secondaryKey: string;
  rights: Right[];
}

export type ServiceAuth =
  { ok: true; policy: string } | { ok: false; status: 401; errorCode: number; code: string; reason: string };

/** IoT Hub's answer to any token it does not accept: HTTP 401, `iothub-errorcode: IotHubUnauthorizedAccess`. */
function refuse(reason: string): ServiceAuth {
  return { ok: false, status: 401, errorCode: 401002, code: 'IotHubUnauthorizedAccess', reason };
}

/**
 * Whether `resource` (the decoded sr) is this hub: the host itself, or a path under it, since
 * IoT Hub scopes a token to a URI prefix by segment (`{host}/devices/{id}` for one device). The
 * path is not checked against the request here (authorize does not see it): hub-level tokens are
 * what the service SDKs send.
 */
function forHub(resource: string, hubHost: string): boolean {
  const r = resource.toLowerCase();
  const h = hubHost.toLowerCase();
  return r === h || r.startsWith(`${h}/`);
}

export class PolicyTable {
  private readonly byName = new Map<string, PolicySpec>();

  constructor(
    specs: PolicySpec[],
    private readonly now: () => Date,
  ) {
    for (const s of specs) this.byName.set(s.name, { ...s, rights: [...s.rights] });
  }

  /**
   * The verdict on a service request's `Authorization` header (or an AMQP/MQTT password carrying
   * a policy token) for an operation that needs `right`.
   */
  authorize(authorization: string | undefined, hubHost: string, right: Right): ServiceAuth {
    if (!authorization) return refuse('no Authorization header (a SharedAccessSignature is required)');
    const t = parseSas(authorization);
    if (!t) return refuse('the Authorization header is not a SharedAccessSignature with sr, sig and se');
    if (!t.keyName)
      return refuse('the SharedAccessSignature has no skn: a service token names its shared access policy');
    const policy = this.byName.get(t.keyName);
    if (!policy)
      return refuse(
        `unknown shared access policy '${t.keyName}'${didYouMean(t.keyName, [...this.byName.keys()])}; this hub has: ${this.names()}`,
      );
    if (!forHub(t.resource, hubHost))
      return refuse(`SAS token is for resource '${t.resource}', not this hub '${hubHost}' (sr mismatch)`);
    if (!signedWith(t, policy.primaryKey) && !signedWith(t, policy.secondaryKey))
      return refuse(`SAS signature does not match the primary or secondary key of policy '${policy.name}'`);
    const expired = expiryProblem(t, this.now());
    if (expired) return refuse(expired);
    if (!policy.rights.includes(right))
      return refuse(`policy '${policy.name}' lacks the ${right} right (it has ${policy.rights.join(', ') || 'none'})`);
    return { ok: true, policy: policy.name };
  }

  get(name: string): PolicySpec | undefined {
    const p = this.byName.get(name);
    return p && { ...p, rights: [...p.rights] };
  }

  list(): PolicySpec[] {
    return [...this.byName.values()].map((p) => ({ ...p, rights: [...p.rights] }));
  }

  private names(): string {
    return [...this.byName.keys()].join(', ') || '(no policies)';
  }
}
