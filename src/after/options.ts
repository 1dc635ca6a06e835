/**
 * The `after:` field of an endpoint, checked and compiled through the mode it names: each mode
 * owns its options (registry.ts, types.ts); what is common to all of them is here.
 */
import { didYouMean } from '../util/suggest.js';
import { AFTER_MODES, afterMode } from './registry.js';
import type { AfterRefFile } from './schema.js';
import type { AfterOptions, AfterProblem } from './types.js';

export type { AfterProblem } from './types.js';

export function afterModeName(ref: AfterRefFile | undefined): string | undefined {
  return typeof ref === 'object' ? ref.mode : ref;
}

/** The fields beside `mode:` in the object form; none in the string form. */
function givenOptions(ref: AfterRefFile | undefined): Record<string, unknown> {
  if (typeof ref !== 'object') return {};
  const { mode: _mode, ...options } = ref;
  return options;
}

/** The mode an endpoint runs and its options, defaults applied and compiled by that mode. */
export function compileAfter(ref: AfterRefFile | undefined, baseDir: string, defaultMode: string) {
  const mode = afterModeName(ref) ?? defaultMode;
  const options: AfterOptions = afterMode(mode).compile(givenOptions(ref), baseDir);
  return { mode, options };
}

/** Options that belong to other modes: "no upstream unless mode is forward". */
function foreignOptions(mode: string, given: Record<string, unknown>): AfterProblem[] {
  const own = Object.keys(afterMode(mode).options.properties);
  return Object.keys(given)
    .filter((key) => !own.includes(key))
    .map((key) => {
      const owners = AFTER_MODES.filter((m) => key in m.options.properties).map((m) => m.name);
      return { segs: [key], found: key, expected: `no ${key} unless mode is ${owners.join(' or ')}` };
    });
}

/**
 * Problems relative to the `after` field: unknown mode (among `modes`, the names validation was
 * given), options of another mode, and the mode's own rules (a required upstream, readable files).
 */
export function afterProblems(ref: AfterRefFile, modes: readonly string[], baseDir: string): AfterProblem[] {
  const mode = afterModeName(ref)!;
  if (!modes.includes(mode)) {
    const expected = `one of ${modes.join(', ')}${didYouMean(mode, modes)}`;
    return [{ segs: typeof ref === 'object' ? ['mode'] : [], found: mode, expected }];
  }
  const def = afterMode(mode);
  if (typeof ref !== 'object') return def.problems(undefined, baseDir);
  const given = givenOptions(ref);
  return [...foreignOptions(mode, given), ...def.problems(given, baseDir)];
}
