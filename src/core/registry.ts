/**
 * The emulated hub's device registry: devices with their authentication, twins, and the telemetry
 * each one sent. Devices come from the scenario, from DPS assignments and from the admin API.
 * One registry per running scenario; every iothub endpoint shares it. Read by the admin API.
 */
import crypto from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { HubtlsError } from '../errors.js';
import type { PkiStore } from '../pki/store.js';
import { C2DQueueFullError, C2DQueues } from './c2d.js';
import { DeviceLinks, moduleLinkId } from './links.js';
import { newModuleRecord } from './module-record.js';
import { DpsService } from './dps.js';
import { newTwin, patchTwin } from './twin.js';
import { bumpTwin, deviceEtag, newIdentity, newTwinMeta } from './identity.js';
import { PolicyTable } from './policies.js';
import { defaultPolicy } from './policy-keys.js';
import {
  describeCa,
  type CaSource,
  type CompiledDevices,
  type DeviceAuth,
  type DeviceRecord,
  type DeviceSpec,
  type ModuleRecord,
  type ModuleSpec,
  type RegistryLookup,
  type TelemetryRecord,
  type TwinState,
} from './types.js';

export type { DeviceRecord } from './types.js';

/** How many telemetry messages are kept per device (the count keeps going). */
export const TELEMETRY_KEPT = 100;

/** What the admin API shows for a device (no keys). */
export interface DeviceView {
  id: string;
  auth: DeviceSpec['auth']['type'];
  thumbprints?: string[];
  source: DeviceRecord['source'];
  created: string;
  connected: boolean;
  telemetryCount: number;
  lastActivity?: string;
  twin: TwinState;
}

export class DeviceRegistry implements RegistryLookup {
  private readonly records = new Map<string, DeviceRecord>();
  private readonly caCerts = new Map<string, crypto.X509Certificate>();
  readonly links = new DeviceLinks(() => this.now());
  /** One cloud-to-device queue per device, on the scenario clock (c2d.ts). */
  readonly c2d = new C2DQueues(() => this.now());
  readonly dps: DpsService;
  private table: PolicyTable;

  constructor(
    readonly config: CompiledDevices,
    private readonly now: () => Date = () => new Date(),
  ) {
    for (const d of config.devices) this.upsert(d, 'scenario');
    this.dps = new DpsService(config, this, now);
    this.table = new PolicyTable(config.policies ?? [], now);
  }

  /**
   * The hub's shared access policies: the scenario's `policies:`, or (after load) the default
   * iothubowner with the keys kept in the certs folder. Before load, without the block: none.
   */
  get policies(): PolicyTable {
    return this.table;
  }

  /**
   * Loads the registered CAs and the enrollment groups' CAs (catalog roots come from the PKI store),
   * and issues the certificates of the scenario's X.509 identities, so `hubtls certs export` hands
   * devices their certificate and key: CA-signed for x509-ca devices, self-signed where no
   * thumbprint was given (the thumbprint is then the issued certificate's). Without a `policies:`
   * block, reads (or makes, once) the default iothubowner keys kept in the certs folder.
   */
  async load(pki: PkiStore): Promise<void> {
    const sources = [
      ...this.config.cas,
      ...this.config.enrollments.flatMap((e) => (e.attestation.type === 'x509-ca' ? [e.attestation.ca] : [])),
    ];
    await Promise.all([
      ...sources.map(async (s) => this.caCerts.set(describeCa(s), await loadCa(s, pki))),
      this.issueCerts(pki),
      this.loadPolicies(pki),
    ]);
  }

  private async loadPolicies(pki: PkiStore): Promise<void> {
    if (!this.config.policies) this.table = new PolicyTable([await defaultPolicy(pki.dir)], this.now);
  }

  private async issueCerts(pki: PkiStore): Promise<void> {
    const validAt = this.now();
    const selfSigned = async (id: string) => (await pki.deviceCert(id, { signer: 'self', validAt })).fingerprint256;
    const caSigned = this.config.cas.some((c) => describeCa(c) === 'device-root-ca');
    await Promise.all([
      ...this.config.devices.map(async (d) => {
        if (d.auth.type === 'x509-ca' && caSigned) await pki.deviceCert(d.id, { signer: 'ca', validAt });
        if (d.auth.type === 'x509-thumbprint' && !d.auth.primaryThumbprint)
          this.upsert({ ...d, auth: { ...d.auth, primaryThumbprint: await selfSigned(d.id) } }, 'scenario');
      }),
      ...this.config.enrollments.map(async (e) => {
        if (e.attestation.type === 'x509' && !e.attestation.primaryThumbprint)
          e.attestation = { ...e.attestation, primaryThumbprint: await selfSigned(e.id) };
      }),
    ]);
  }

  /** The CAs registered (verified) in the hub. */
  registeredCas(): crypto.X509Certificate[] {
    return this.config.cas.map((s) => this.ca(s));
  }

  ca(source: CaSource): crypto.X509Certificate {
    const c = this.caCerts.get(describeCa(source));
    if (!c) throw new Error(`CA ${describeCa(source)} is not loaded (DeviceRegistry.load was not awaited)`);
    return c;
  }

  get(id: string): DeviceRecord | undefined {
    return this.records.get(id);
  }

  /** Adds a device or replaces its authentication (keeping its twin and telemetry); a new etag either way. */
  upsert(spec: DeviceSpec, source: DeviceRecord['source'], edge = false): DeviceRecord {
    const old = this.records.get(spec.id);
    const now = this.now();
    const rec: DeviceRecord = old
      ? { ...old, spec: { ...spec, desired: old.spec.desired }, identity: { ...old.identity, etag: deviceEtag() } }
      : {
          spec,
          source,
          created: now.toISOString(),
          identity: newIdentity(spec.id, now, edge),
          twinMeta: newTwinMeta(now),
          twin: newTwin(spec.desired),
          modules: scenarioModules(spec, now),
          telemetry: [],
          telemetryCount: 0,
        };
    this.records.set(spec.id, rec);
    return rec;
  }

  remove(id: string): boolean {
    for (const m of this.records.get(id)?.modules.keys() ?? [])
      this.links.get(moduleLinkId(id, m))?.close(`device ${id} (module ${m}) was deleted from the registry`);
    this.links.get(id)?.close(`device ${id} was deleted from the registry`);
    this.c2d.purge(id); // a device created again with this id starts with an empty queue, as in IoT Hub
    return this.records.delete(id);
  }

  list(): DeviceView[] {
    return [...this.records.values()].map((r) => this.view(r));
  }

  view(r: DeviceRecord): DeviceView {
    const a = r.spec.auth;
    const thumbprints =
      a.type === 'x509-thumbprint'
        ? [a.primaryThumbprint, ...(a.secondaryThumbprint ? [a.secondaryThumbprint] : [])]
        : undefined;
    return {
      id: r.spec.id,
      auth: a.type,
      ...(thumbprints ? { thumbprints } : {}),
      source: r.source,
      created: r.created,
      connected: !!this.links.get(r.spec.id),
      telemetryCount: r.telemetryCount,
      ...(r.lastActivity ? { lastActivity: r.lastActivity } : {}),
      twin: r.twin,
    };
  }

  /** What the admin API shows, JSON-ready and without keys. Telemetry per device: telemetry(id). */
  snapshot() {
    return {
      idScope: this.config.idScope,
      devices: this.list(),
      enrollments: this.config.enrollments.map((e) => ({
        kind: e.kind,
        id: e.id,
        attestation: e.attestation.type,
        hub: e.hub,
        assignedHub: e.assignedHub,
      })),
      registrations: this.dps.registrations(),
    };
  }

  recordTelemetry(id: string, msg: TelemetryRecord): void {
    const r = this.records.get(id);
    if (!r) return;
    r.telemetry.push(msg);
    if (r.telemetry.length > TELEMETRY_KEPT) r.telemetry.shift();
    r.telemetryCount++;
    r.lastActivity = msg.at;
  }

  /** The last TELEMETRY_KEPT messages of a device, oldest first. */
  telemetry(id: string): TelemetryRecord[] {
    return [...(this.records.get(id)?.telemetry ?? [])];
  }

  touch(id: string): void {
    const r = this.records.get(id);
    if (r) r.lastActivity = this.now().toISOString();
  }

  patchReported(id: string, patch: Record<string, unknown>): number {
    const r = this.require(id);
    this.twinChanged(r, 'reportedUpdated');
    return patchTwin(r.twin, 'reported', patch);
  }

  /** Service-side desired update: versioned, and pushed to the device if it is connected and subscribed. */
  patchDesired(id: string, patch: Record<string, unknown>): { version: number; delivered: boolean } {
    const r = this.require(id);
    this.twinChanged(r, 'desiredUpdated');
    const version = patchTwin(r.twin, 'desired', patch);
    const delivered = this.links.get(id)?.desired({ ...patch, $version: version }) ?? false;
    return { version, delivered };
  }

  /**
   * Queues a cloud-to-device message; connected transports are told through `c2d.onAvailable`.
   * `properties`: application properties plus the system keys of C2D_SYSTEM_KEYS ($.mid, $.cid, iothub-ack, …).
   * Throws HUBTLS_DEVICE_NOT_FOUND, or HUBTLS_C2D_QUEUE_FULL (IoT Hub 403004) at the queue's maximum depth.
   */
  sendC2D(
    id: string,
    body: Buffer | string,
    properties: Record<string, string> = {},
  ): { messageId: string; queued: number } {
    this.require(id);
    try {
      const m = this.c2d.enqueue(id, Buffer.from(body), properties);
      return { messageId: m.messageId, queued: this.c2d.depth(id) };
    } catch (e) {
      if (!(e instanceof C2DQueueFullError)) throw e;
      throw new HubtlsError(
        'HUBTLS_C2D_QUEUE_FULL',
        e.message,
        'the device must receive (and complete) messages first',
      );
    }
  }

  private twinChanged(r: DeviceRecord, side: 'desiredUpdated' | 'reportedUpdated'): void {
    bumpTwin(r.twinMeta);
    r.twinMeta[side] = this.now().toISOString();
  }

  private require(id: string): DeviceRecord {
    const r = this.records.get(id);
    if (!r)
      throw new HubtlsError(
        'HUBTLS_DEVICE_NOT_FOUND',
        `no device '${id}' in the registry`,
        'add it under devices: in the scenario, or provision it through DPS',
      );
    return r;
  }
}

function scenarioModules(spec: DeviceSpec, now: Date): Map<string, ModuleRecord> {
  const auth = (m: ModuleSpec): DeviceAuth => ({ type: 'sas', primaryKey: m.primaryKey, secondaryKey: m.secondaryKey });
  return new Map((spec.modules ?? []).map((m) => [m.id, newModuleRecord(spec.id, m.id, { auth: auth(m) }, now)]));
}

async function loadCa(s: CaSource, pki: PkiStore): Promise<crypto.X509Certificate> {
  if ('catalog' in s) return new crypto.X509Certificate((await pki.root(s.catalog)).certPem);
  try {
    return new crypto.X509Certificate(await readFile(s.file));
  } catch (e) {
    throw new HubtlsError(
      'HUBTLS_DEVICE_CA',
      `cannot read device CA ${s.file}: ${(e as Error).message}`,
      'deviceCAs / enrollments[].ca need a readable PEM certificate',
    );
  }
}
