/** Fault uses of a scenario file → FaultSpecs (ids defaulted), with where each came from. */
import type { EndpointFile } from './schema.js';
import type { FaultSpec } from '../faults/types.js';

export interface LocatedFaultSpec extends FaultSpec {
  /** Path segments of the use in the file: ['endpoints', i, 'faults', j]. */
  at: Array<string | number>;
}

/** Default id: <endpoint>.<fault>, then <endpoint>.<fault>-2, -3 … for repeats on one endpoint. */
export function faultSpecs(endpoints: readonly EndpointFile[]): LocatedFaultSpec[] {
  return endpoints.flatMap((ep, i) => {
    const count = new Map<string, number>();
    return (ep.faults ?? []).map((use, j) => {
      const n = (count.get(use.fault) ?? 0) + 1;
      count.set(use.fault, n);
      const id = use.id ?? `${ep.name}.${use.fault}${n > 1 ? `-${n}` : ''}`;
      const spec: LocatedFaultSpec = {
        id,
        endpoint: ep.name,
        fault: use.fault,
        params: use.params ?? {},
        active: use.active ?? true,
        at: ['endpoints', i, 'faults', j],
      };
      if (use.probability !== undefined) spec.probability = use.probability;
      if (use.everyNth !== undefined) spec.everyNth = use.everyNth;
      return spec;
    });
  });
}

export function withoutLocation({ at: _at, ...spec }: LocatedFaultSpec): FaultSpec {
  return spec;
}
