/** What every route module gets: the runtime, the recorders fed from the bus, and the optional hooks of other layers. */
import type { FastifyInstance } from 'fastify';
import type { RuntimeParts } from '../runtime/index.js';
import type { HandshakeRing } from '../events/ring.js';
import type { HubMetrics } from '../events/metrics.js';
import { didYouMean } from '../util/suggest.js';
import { CHAINS } from '../pki/chains.js';
import type { ChainDef } from '../pki/types.js';
import { ApiError } from './errors.js';
import type { StateT } from './schemas.js';

export function notAvailable(what: string, hint: string): ApiError {
  return new ApiError(501, 'HUBTLS_ADMIN_NOT_AVAILABLE', `${what} is not available here`, hint);
}

export interface AdminHooks {
  /** Real bound address of an endpoint's listener (default: the scenario's configured one). */
  listenOf?(endpoint: string): { host: string; port: number } | undefined;
  /** Hot reload of the scenario file (default: the running one); refused reloads change nothing. */
  reload?(file?: string): Promise<{ ok: boolean; error?: string }>;
}

export interface AdminContext {
  runtime: RuntimeParts;
  ring: HandshakeRing;
  metrics: HubMetrics;
  hooks: AdminHooks;
  state(): StateT;
}

export type RouteModule = (app: FastifyInstance, ctx: AdminContext) => void;

/** Resolves an endpoint name from a request, or answers 400 with the names that exist. */
export function needEndpoint(runtime: RuntimeParts, name: string): string {
  const names = runtime.endpoints.list().map((e) => e.name);
  if (names.includes(name)) return name;
  throw new ApiError(
    400,
    'HUBTLS_UNKNOWN_ENDPOINT',
    `no endpoint named "${name}"${didYouMean(name, names)}`,
    `endpoints: ${names.join(', ')}`,
  );
}

/** A catalog chain by id, or 400 with a "did you mean". */
export function needChain(id: string): ChainDef {
  const chain = CHAINS.find((c) => c.id === id);
  if (chain) return chain;
  throw new ApiError(
    400,
    'HUBTLS_UNKNOWN_CHAIN',
    `unknown chain "${id}"${didYouMean(
      id,
      CHAINS.map((c) => c.id),
    )}`,
    'the chains are listed by GET /catalog and `hubtls certs list`',
  );
}
