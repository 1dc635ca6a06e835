/** What every route module gets: the runtime, the recorders fed from the bus, and the optional hooks of other layers. */
import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../scenario/runtime.js';
import type { HandshakeRing } from '../events/ring.js';
import type { HubMetrics } from '../events/metrics.js';
import { didYouMean } from '../util/suggest.js';
import { CHAINS } from '../pki/chains.js';
import type { ChainDef } from '../pki/types.js';
import { ApiError } from './errors.js';
import type { StateT } from './schemas.js';

/** A fault given through the API: like a scenario's fault use, on one endpoint. */
export interface NewFault {
  endpoint: string;
  fault: string;
  params?: Record<string, unknown>;
  id?: string;
  probability?: number;
  everyNth?: number;
}

/**
 * What the timeline/fault layer adds to the Runtime (trigger a step, start/stop faults, list them).
 * Looked up at run time, so the admin plane builds with or without that layer; a route whose
 * control is missing answers 501 HUBTLS_ADMIN_NOT_AVAILABLE.
 */
export interface LayerControls {
  trigger?(stepId: string): Promise<void>;
  startFault?(ref: string | NewFault): Promise<unknown>;
  stopFault?(id: string): unknown;
  faults?: { list?(): unknown[] };
  timeline?: { statuses(): unknown[] };
}

export function layerControls(runtime: Runtime): LayerControls {
  return runtime as unknown as LayerControls;
}

export function notAvailable(what: string): ApiError {
  return new ApiError(501, 'HUBTLS_ADMIN_NOT_AVAILABLE', `${what} is not available in this build`, 'the timeline and fault engine provides it (scenario timeline:/faults:)');
}

export interface AdminHooks {
  /** Real bound address of an endpoint's listener (default: the scenario's configured one). */
  listenOf?(endpoint: string): { host: string; port: number };
  /** Hot reload of the scenario file (default: the running one); refused reloads change nothing. */
  reload?(file?: string): Promise<{ ok: boolean; error?: string; [k: string]: unknown }>;
}

export interface AdminContext {
  runtime: Runtime;
  ring: HandshakeRing;
  metrics: HubMetrics;
  hooks: AdminHooks;
  state(): StateT;
}

export type RouteModule = (app: FastifyInstance, ctx: AdminContext) => void;

/** Resolves an endpoint name from a request, or answers 400 with the names that exist. */
export function needEndpoint(runtime: Runtime, name: string): string {
  const names = runtime.endpoints().map((e) => e.name);
  if (names.includes(name)) return name;
  throw new ApiError(400, 'HUBTLS_UNKNOWN_ENDPOINT', `no endpoint named "${name}"${didYouMean(name, names)}`, `endpoints: ${names.join(', ')}`);
}

/** A catalog chain by id, or 400 with a "did you mean". */
export function needChain(id: string): ChainDef {
  const chain = CHAINS.find((c) => c.id === id);
  if (chain) return chain;
  throw new ApiError(400, 'HUBTLS_UNKNOWN_CHAIN', `unknown chain "${id}"${didYouMean(id, CHAINS.map((c) => c.id))}`, 'the chains are listed by GET /catalog and `hubtls certs list`');
}
