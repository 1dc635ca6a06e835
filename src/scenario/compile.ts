/**
 * Turns a validated scenario document into the compiled form the runtime uses: defaults applied,
 * CLI overrides applied, endpoints grouped by listener.
 */
import { resolveEndpointProfile } from '../profiles/effective.js';
import type { ServedChainSource } from '../pki/types.js';
import type { LoadedScenario } from './load.js';
import type { EndpointFile } from './schema.js';
import { chainSource } from './chain-source.js';
import type { FaultSpec } from '../faults/types.js';
import { faultSpecs, withoutLocation } from './faults-compile.js';
import { compileTimeline, type CompiledStep } from './timeline/compile.js';
import { compileAfter } from '../after/options.js';
import type { AfterOptions } from '../after/types.js';
import { compileDevices } from '../core/compile.js';
import type { CompiledDevices } from '../core/types.js';

export const DEFAULTS = {
  host: '127.0.0.1',
  port: 8883,
  adminHost: '127.0.0.1',
  adminPort: 9883,
  handshakeTimeoutMs: 10_000,
  eccChain: 'ecc-g3',
  clientCert: 'request',
  after: 'hold',
} as const;

export interface CompiledEndpoint {
  name: string;
  kind: 'iothub' | 'dps';
  hostnames: string[];
  host: string;
  port: number;
  isDefault: boolean;
  profile: string;
  minTlsVersion?: '1.2';
  chain: ServedChainSource;
  eccChain?: ServedChainSource;
  clientCert: 'none' | 'request' | 'require';
  after: string;
  /** The after mode's own options, compiled by it (src/after/). */
  afterOptions: AfterOptions;
  /** 0 = no limit. */
  maxConnections: number;
}

export interface ListenerSpec {
  host: string;
  port: number;
  endpoints: string[];
}

export interface CompiledScenario {
  file: string;
  name: string;
  description?: string;
  clock: { start?: Date; rate: number };
  admin: { enabled: boolean; host: string; port: number };
  handshakeTimeoutMs: number;
  /** Global connection limit over all listeners; 0 = no limit. */
  limits: { maxConnections: number };
  endpoints: CompiledEndpoint[];
  listeners: ListenerSpec[];
  faults: FaultSpec[];
  timeline: CompiledStep[];
  devices: CompiledDevices;
}

export interface Overrides {
  port?: number;
  adminPort?: number;
  host?: string;
  noAdmin?: boolean;
  /** Every listener on a free port, whatever the file says (`hubtls test`: scenarios side by side, CI). */
  ephemeral?: boolean;
  adminHost?: string;
  maxConnections?: number;
}

function compileEndpoint(ep: EndpointFile, baseDir: string, listen: { host: string; port: number }): CompiledEndpoint {
  const profile = resolveEndpointProfile(ep.profile, ep.minTlsVersion);
  const wantsEc = profile.certKeyTypes.includes('ec');
  const after = compileAfter(ep.after, baseDir, DEFAULTS.after);
  return {
    name: ep.name,
    kind: ep.kind,
    hostnames: ep.hostnames,
    host: ep.host ?? listen.host,
    port: ep.port ?? listen.port,
    isDefault: ep.default ?? false,
    profile: ep.profile,
    minTlsVersion: ep.minTlsVersion,
    chain: chainSource(ep.chain, baseDir),
    eccChain: wantsEc ? chainSource(ep.eccChain ?? DEFAULTS.eccChain, baseDir) : undefined,
    clientCert: ep.clientCert ?? DEFAULTS.clientCert,
    after: after.mode,
    afterOptions: after.options,
    maxConnections: ep.maxConnections ?? 0,
  };
}

/** Endpoints sharing host:port share one listener; the first one is its default unless one says so. */
function groupListeners(endpoints: CompiledEndpoint[]): ListenerSpec[] {
  const byKey = new Map<string, ListenerSpec>();
  for (const ep of endpoints) {
    const key = `${ep.host}:${ep.port}`;
    const l = byKey.get(key) ?? { host: ep.host, port: ep.port, endpoints: [] };
    l.endpoints.push(ep.name);
    byKey.set(key, l);
  }
  return [...byKey.values()];
}

function markDefaults(endpoints: CompiledEndpoint[], listeners: ListenerSpec[]): void {
  for (const l of listeners) {
    const eps = endpoints.filter((e) => l.endpoints.includes(e.name));
    if (!eps.some((e) => e.isDefault)) eps[0]!.isDefault = true;
  }
}

/** After grouping, so endpoints that share a port in the file still share one listener. */
function makeEphemeral(endpoints: CompiledEndpoint[], listeners: ListenerSpec[]): void {
  for (const l of listeners) l.port = 0;
  for (const ep of endpoints) ep.port = 0;
}

export function compileScenario(loaded: LoadedScenario, o: Overrides = {}): CompiledScenario {
  const d = loaded.doc;
  const listen = { host: o.host ?? d.listen?.host ?? DEFAULTS.host, port: o.port ?? d.listen?.port ?? DEFAULTS.port };
  const endpoints = d.endpoints.map((ep) => compileEndpoint(ep, loaded.baseDir, listen));
  const listeners = groupListeners(endpoints);
  markDefaults(endpoints, listeners);
  if (o.ephemeral) makeEphemeral(endpoints, listeners);
  return {
    file: loaded.file,
    name: d.name,
    description: d.description,
    clock: { start: d.clock?.start ? new Date(d.clock.start) : undefined, rate: d.clock?.rate ?? 1 },
    admin: {
      enabled: !o.noAdmin && (d.admin?.enabled ?? true),
      host: o.adminHost ?? d.admin?.host ?? DEFAULTS.adminHost,
      port: o.adminPort ?? d.admin?.port ?? DEFAULTS.adminPort,
    },
    handshakeTimeoutMs: d.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs,
    limits: { maxConnections: o.maxConnections ?? d.limits?.maxConnections ?? 0 },
    endpoints,
    listeners,
    faults: faultSpecs(d.endpoints).map(withoutLocation),
    timeline: compileTimeline(
      d.timeline,
      endpoints.map((e) => e.name),
      loaded.baseDir,
    ),
    devices: compileDevices(d, loaded.baseDir),
  };
}
