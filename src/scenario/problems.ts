import { HubtlsError } from '../errors.js';

/** One thing wrong with a scenario file, located by path (and line when known). */
export interface Problem {
  /** JS-style path into the document: `endpoints[1].chain`; '' for the document itself. */
  path: string;
  found?: string;
  expected: string;
  line?: number;
}

/** Every problem of one file at once, so a user fixes them in one pass. */
export class ScenarioError extends HubtlsError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(
      'HUBTLS_SCENARIO_INVALID',
      formatProblems(file, problems),
      'fix the fields above; `hubtls check FILE` validates without starting',
    );
  }
}

export function formatProblem(p: Problem): string {
  const where = `${p.path || '(top level)'}${p.line ? ` (line ${p.line})` : ''}`;
  return p.found === undefined
    ? `${where}: expected ${p.expected}`
    : `${where}: found ${p.found}, expected ${p.expected}`;
}

export function formatProblems(file: string, problems: Problem[]): string {
  const n = problems.length;
  return `${file}: ${n} problem${n === 1 ? '' : 's'}\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}`;
}

/** ['endpoints', 1, 'chain'] → "endpoints[1].chain" */
export function pathText(segments: Array<string | number>): string {
  return segments.reduce<string>((acc, s) => (typeof s === 'number' ? `${acc}[${s}]` : acc ? `${acc}.${s}` : s), '');
}

export function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object') return Array.isArray(value) ? 'a list' : 'an object';
  return `${typeof value} ${String(value)}`;
}

/** A problem with the path segments it was found at (the loader turns them into a line number). */
export type Located = Problem & { segs: Array<string | number> };

export function located(segs: Array<string | number>, found: unknown, expected: string): Located {
  return { segs, path: pathText(segs), found: found === undefined ? undefined : show(found), expected };
}
