/**
 * Fault uses beyond what the schema checks: unique ids, each fault's own cross-field rule, and
 * the catalog chains a fault would serve.
 */
import { didYouMean } from '../util/suggest.js';
import { located, type Located } from './problems.js';
import type { ScenarioFile } from './schema.js';
import { faultSpecs } from './faults-compile.js';
import { withDefaults } from '../faults/params.js';
import { findFault } from '../faults/registry.js';

export function faultProblems(doc: ScenarioFile, chainIds: readonly string[]): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  for (const spec of faultSpecs(doc.endpoints)) {
    if (seen.has(spec.id))
      out.push(
        located([...spec.at, 'id'], spec.id, 'a fault id not used by another fault (set `id:` to tell them apart)'),
      );
    seen.add(spec.id);
    const def = findFault(spec.fault);
    if (!def) continue; // the schema already said so
    const params = withDefaults(def, spec.params);
    const rule = def.check?.(params as never);
    if (rule) out.push(located([...spec.at, 'params'], spec.params, rule));
    for (const c of def.chains?.(params as never) ?? []) {
      if (!chainIds.includes(c))
        out.push(
          located(
            [...spec.at, 'params', 'chain'],
            c,
            `a chain id from \`hubtls certs list\`${didYouMean(c, chainIds)}`,
          ),
        );
    }
  }
  return out;
}

/** The fault ids a scenario declares (for timeline references). */
export function declaredFaultIds(doc: ScenarioFile): string[] {
  return faultSpecs(doc.endpoints).map((s) => s.id);
}
