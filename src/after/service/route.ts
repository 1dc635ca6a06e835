/** What a service API route is: method, path pattern, the policy right it needs, and its core call. */
import type { Right } from '../../core/policies.js';
import type { DeviceRegistry } from '../../core/registry.js';
import type { ServiceResult } from '../../core/service-errors.js';

export interface RouteCall {
  registry: DeviceRegistry;
  /** Path parameters by name (`:id` → params.id), URL-decoded. */
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  ifMatch: string | undefined;
  /** A request header by its lower-case name (the first value if repeated). */
  header(name: string): string | undefined;
  /** Scenario time. */
  now: Date;
}

export interface Route {
  method: 'GET' | 'PUT' | 'PATCH' | 'POST' | 'DELETE';
  /** Segments; `:name` matches one segment. */
  path: string;
  right: Right;
  /** Whether a JSON body is read (and must parse). */
  body?: boolean;
  run(c: RouteCall): ServiceResult<unknown> | Promise<ServiceResult<unknown>>;
}
