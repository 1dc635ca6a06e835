/**
 * PLACEHOLDER until the shared-access-policy work (issue 14) lands on main: the interface the
 * service API codes against, with the smallest table behind it. Replace with main's file on merge.
 */
import { checkSas, parseSas } from './sas.js';

export type Right = 'RegistryRead' | 'RegistryWrite' | 'ServiceConnect' | 'DeviceConnect';
export type ServiceAuth =
  { ok: true; policy: string } | { ok: false; status: 401; errorCode: number; code: string; reason: string };

export interface PolicySpec {
  name: string;
  primaryKey: string;
  secondaryKey?: string;
  rights: Right[];
}

export class PolicyTable {
  private readonly policies = new Map<string, PolicySpec>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  add(p: PolicySpec): void {
    this.policies.set(p.name, p);
  }

  authorize(authorization: string | undefined, hubHost: string, right: Right): ServiceAuth {
    const refuse = (reason: string): ServiceAuth => ({
      ok: false,
      status: 401,
      errorCode: 401002,
      code: 'IotHubUnauthorizedAccess',
      reason,
    });
    const name = authorization ? parseSas(authorization)?.keyName : undefined;
    const p = name ? this.policies.get(name) : undefined;
    if (!p) return refuse(`no shared access policy '${name ?? ''}'`);
    const v = checkSas(authorization, { resource: hubHost, keys: [p.primaryKey, p.secondaryKey], now: this.now() });
    if (!v.ok) return refuse(v.reason);
    if (!p.rights.includes(right)) return refuse(`policy '${p.name}' does not have the ${right} right`);
    return { ok: true, policy: p.name };
  }
}
