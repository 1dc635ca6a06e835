/**
 * The emulated Device Provisioning Service: attestation against individual enrollments and
 * enrollment groups, register → operation (202 "assigning") → status poll ("assigned"), and
 * assignment, which adds the device to the hub registry with matching credentials.
 */
import crypto from 'node:crypto';
import type { PeerCertInfo } from '../tls/engines/types.js';
import type { RegistryLookup } from './types.js';
import { deviceRefusal, mtlsRefusal, type AuthVerdict } from './auth.js';
import { checkSas, deriveDeviceKey } from './sas.js';
import { judgeCaSigned, judgeThumbprint, type CertVerdict } from './x509.js';
import type { CompiledDevices, DeviceAuth, EnrollmentSpec } from './types.js';

export interface Attested {
  ok: true;
  registrationId: string;
  enrollment: EnrollmentSpec;
  /** Credentials the hub device gets on assignment. */
  hubAuth: DeviceAuth;
  detail: string;
}

export type AttestVerdict = Attested | Extract<AuthVerdict, { ok: false }>;

export interface RegistrationState {
  registrationId: string;
  createdDateTimeUtc: string;
  assignedHub: string;
  deviceId: string;
  status: 'assigned';
  substatus: 'initialAssignment' | 'reprovisionedToInitialAssignment';
  lastUpdatedDateTimeUtc: string;
  etag: string;
}

export interface Operation {
  operationId: string;
  registrationId: string;
  status: 'assigning' | 'assigned';
  attested: Attested;
  payload?: unknown;
  registrationState?: RegistrationState;
}

export interface RegisterRequest {
  registrationId: string;
  idScope: string;
  sas?: string;
  peerCert?: PeerCertInfo;
  now: Date;
}

export class DpsService {
  private readonly operations = new Map<string, Operation>();
  private readonly assigned = new Map<string, RegistrationState>();

  constructor(
    private readonly config: CompiledDevices,
    private readonly registry: RegistryLookup,
    private readonly now: () => Date,
  ) {}

  get idScope(): string {
    return this.config.idScope;
  }

  attest(r: RegisterRequest): AttestVerdict {
    if (r.idScope.toLowerCase() !== this.config.idScope.toLowerCase())
      return refusal(
        deviceRefusal(`id scope '${r.idScope}' is not this DPS instance (${this.config.idScope})`, 401002),
      );
    const individual = this.config.enrollments.find((e) => e.kind === 'individual' && e.id === r.registrationId);
    if (individual) return this.attestIndividual(individual, r);
    const groups = this.config.enrollments.filter((e) => e.kind === 'group');
    const keyGroups = groups.filter((g) => g.attestation.type === 'symmetric-key');
    const caGroups = groups.filter((g) => g.attestation.type === 'x509-ca');
    if (r.sas && keyGroups.length) return this.firstGroup(keyGroups, r, (g) => this.groupKey(g, r));
    if (r.peerCert && caGroups.length) return this.firstGroup(caGroups, r, (g) => this.groupCa(g, r));
    return refusal(
      deviceRefusal(
        `no enrollment matches registration '${r.registrationId}'${r.sas || r.peerCert ? '' : ' (and it sent neither a SAS token nor a certificate)'}`,
        401002,
      ),
    );
  }

  private attestIndividual(e: EnrollmentSpec, r: RegisterRequest): AttestVerdict {
    const a = e.attestation;
    if (a.type === 'symmetric-key') {
      const v = checkSas(r.sas, {
        resource: `${this.config.idScope}/registrations/${r.registrationId}`,
        keys: [a.primaryKey, a.secondaryKey],
        now: r.now,
      });
      return v.ok
        ? this.attested(
            e,
            r,
            { type: 'sas', primaryKey: a.primaryKey, ...(a.secondaryKey ? { secondaryKey: a.secondaryKey } : {}) },
            `individual enrollment, ${v.key} key`,
          )
        : refusal(deviceRefusal(v.reason));
    }
    if (a.type !== 'x509') return refusal(mtlsRefusal(`enrollment ${e.id} has attestation ${a.type}`));
    const what = `registration '${r.registrationId}'`;
    const cn: CertVerdict =
      r.peerCert && r.peerCert.commonName !== r.registrationId
        ? {
            ok: false,
            reason: `certificate CN '${r.peerCert.commonName ?? ''}' does not match registration id '${r.registrationId}'`,
          }
        : { ok: true, detail: '' };
    const v = cn.ok ? judgeThumbprint(r.peerCert, [a.primaryThumbprint, a.secondaryThumbprint], r.now, what) : cn;
    return v.ok
      ? this.attested(
          e,
          r,
          { type: 'x509-thumbprint', primaryThumbprint: r.peerCert!.sha256 },
          `individual enrollment, ${v.detail}`,
        )
      : refusal(mtlsRefusal(v.reason));
  }

  private groupKey(g: EnrollmentSpec, r: RegisterRequest): AttestVerdict {
    if (g.attestation.type !== 'symmetric-key') return refusal(deviceRefusal('not a key group'));
    const keys = [g.attestation.primaryKey, g.attestation.secondaryKey].map(
      (k) => k && deriveDeviceKey(k, r.registrationId),
    );
    const v = checkSas(r.sas, {
      resource: `${this.config.idScope}/registrations/${r.registrationId}`,
      keys,
      now: r.now,
    });
    return v.ok
      ? this.attested(
          g,
          r,
          { type: 'sas', primaryKey: keys[0]!, ...(keys[1] ? { secondaryKey: keys[1] } : {}) },
          `group ${g.id}, key derived from the group ${v.key} key`,
        )
      : refusal(deviceRefusal(`group ${g.id}: ${v.reason}`));
  }

  private groupCa(g: EnrollmentSpec, r: RegisterRequest): AttestVerdict {
    if (g.attestation.type !== 'x509-ca') return refusal(mtlsRefusal('not a CA group'));
    const v = judgeCaSigned(
      r.peerCert,
      r.registrationId,
      [this.registry.ca(g.attestation.ca)],
      r.now,
      `registration '${r.registrationId}'`,
    );
    return v.ok
      ? this.attested(g, r, { type: 'x509-ca' }, `group ${g.id}, ${v.detail}`)
      : refusal(mtlsRefusal(`group ${g.id}: ${v.reason}`));
  }

  private firstGroup(
    groups: EnrollmentSpec[],
    r: RegisterRequest,
    judge: (g: EnrollmentSpec) => AttestVerdict,
  ): AttestVerdict {
    const verdicts = groups.map(judge);
    return verdicts.find((v) => v.ok) ?? verdicts[0]!;
  }

  private attested(enrollment: EnrollmentSpec, r: RegisterRequest, hubAuth: DeviceAuth, detail: string): Attested {
    return { ok: true, registrationId: r.registrationId, enrollment, hubAuth, detail };
  }

  /** PUT iotdps-register: a new operation, "assigning" until the device polls its status. */
  register(attested: Attested, payload?: unknown): Operation {
    const op: Operation = {
      operationId: `4.${crypto.randomBytes(8).toString('hex')}.${crypto.randomUUID()}`,
      registrationId: attested.registrationId,
      status: 'assigning',
      attested,
      ...(payload !== undefined ? { payload } : {}),
    };
    this.operations.set(op.operationId, op);
    return op;
  }

  /** GET operation status: assigns on the first poll; undefined for an unknown operation of this registration. */
  status(registrationId: string, operationId: string): Operation | undefined {
    const op = this.operations.get(operationId);
    if (!op || op.registrationId !== registrationId) return undefined;
    if (op.status === 'assigning') this.assign(op);
    return op;
  }

  private assign(op: Operation): void {
    const e = op.attested.enrollment;
    const deviceId = (e.kind === 'individual' && e.deviceId) || op.registrationId;
    const at = this.now().toISOString();
    const previous = this.assigned.get(op.registrationId);
    this.registry.upsert({ id: deviceId, auth: op.attested.hubAuth }, 'dps');
    op.status = 'assigned';
    op.registrationState = {
      registrationId: op.registrationId,
      createdDateTimeUtc: previous?.createdDateTimeUtc ?? at,
      assignedHub: e.assignedHub,
      deviceId,
      status: 'assigned',
      substatus: previous ? 'reprovisionedToInitialAssignment' : 'initialAssignment',
      lastUpdatedDateTimeUtc: at,
      etag: `"${crypto.randomUUID()}"`,
    };
    this.assigned.set(op.registrationId, op.registrationState);
  }

  /** Every registration DPS has assigned (for the admin API). */
  registrations(): RegistrationState[] {
    return [...this.assigned.values()];
  }
}

function refusal(v: AuthVerdict): Extract<AuthVerdict, { ok: false }> {
  if (v.ok) throw new Error('refusal() takes a refusal');
  return v;
}
