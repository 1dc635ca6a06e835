/**
 * Fault params: defaults applied from the definition's TypeBox schema, and validation of a fault
 * use given at run time (admin API, `runtime.startFault`). Scenario files are validated by the
 * scenario schema instead, which embeds every definition's params schema.
 */
import { Value } from '@sinclair/typebox/value';
import { didYouMean } from '../util/suggest.js';
import { HubtlsError } from '../errors.js';
import { faultNames, findFault } from './registry.js';
import type { AnyFault, FaultSpec } from './types.js';

export function withDefaults(def: AnyFault, params: Record<string, unknown> = {}): Record<string, unknown> {
  return Value.Default(def.params, Value.Clone(params)) as Record<string, unknown>;
}

/** The definition named by a fault use, or HUBTLS_UNKNOWN_FAULT with the valid names. */
export function faultDefinition(name: string): AnyFault {
  const def = findFault(name);
  if (def) return def;
  throw new HubtlsError(
    'HUBTLS_UNKNOWN_FAULT',
    `unknown fault "${name}"${didYouMean(name, faultNames())}`,
    `valid faults: ${faultNames().join(', ')}`,
  );
}

/** Everything wrong with a fault use's params, in words ("params.ms: expected integer"). */
export function paramProblems(def: AnyFault, params: Record<string, unknown>): string[] {
  const full = withDefaults(def, params);
  const problems = [...Value.Errors(def.params, full)].map((e) => `params${e.path.replace(/\//g, '.')}: ${e.message}`);
  if (problems.length) return problems;
  const rule = def.check?.(full as never);
  return rule ? [`params: expected ${rule}`] : [];
}

/** Validates a fault use given at run time; throws one HubtlsError listing every problem. */
export function checkFaultSpec(spec: FaultSpec, endpoints: readonly string[], chainIds: readonly string[]): void {
  const def = faultDefinition(spec.fault);
  const problems = paramProblems(def, spec.params);
  if (!endpoints.includes(spec.endpoint))
    problems.push(
      `endpoint: "${spec.endpoint}" is not an endpoint (${endpoints.join(', ')})${didYouMean(spec.endpoint, endpoints)}`,
    );
  for (const c of def.chains?.(withDefaults(def, spec.params) as never) ?? []) {
    if (!chainIds.includes(c)) problems.push(`params: chain "${c}" is not a catalog chain${didYouMean(c, chainIds)}`);
  }
  if (spec.probability !== undefined && !(spec.probability > 0 && spec.probability <= 1))
    problems.push('probability: expected a number > 0 and <= 1');
  if (spec.everyNth !== undefined && !(Number.isInteger(spec.everyNth) && spec.everyNth >= 1))
    problems.push('everyNth: expected an integer >= 1');
  if (problems.length)
    throw new HubtlsError('HUBTLS_BAD_FAULT', `fault ${spec.id} (${spec.fault}): ${problems.join('; ')}`, def.summary);
}
