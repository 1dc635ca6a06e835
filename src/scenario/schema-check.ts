/**
 * JSON Schema validation (ajv) turned into Problems that name the path, what was found and
 * what was expected, with "did you mean" for misspelt field names.
 */
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { Scenario } from './schema.js';
import { didYouMean } from '../util/suggest.js';
import { pathText, show, type Problem } from './problems.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
// The validator runs once per start or reload: optimising its generated code costs more start-up
// time (~70 ms here) than it could ever save.
const ajv = addFormats(new Ajv({ allErrors: true, strict: false, verbose: true, code: { optimize: false } }));
const validate = ajv.compile(Scenario);

function segments(instancePath: string): Array<string | number> {
  return instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function valueAt(doc: unknown, segs: Array<string | number>): unknown {
  return segs.reduce<unknown>(
    (v, s) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[s] : undefined),
    doc,
  );
}

function toProblem(e: ErrorObject, doc: unknown): Problem & { segs: Array<string | number> } {
  const segs = segments(e.instancePath);
  const found = valueAt(doc, segs);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        segs: [...segs, String(p.missingProperty)],
        path: pathText([...segs, String(p.missingProperty)]),
        expected: 'this field (it is required)',
      };
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object }).properties ?? {});
      const name = String(p.additionalProperty);
      return {
        segs: [...segs, name],
        path: pathText([...segs, name]),
        found: `unknown field "${name}"`,
        expected: `one of ${allowed.join(', ')}${didYouMean(name, allowed)}`,
      };
    }
    case 'const':
      return { segs, path: pathText(segs), found: show(found), expected: JSON.stringify(p.allowedValue) };
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return {
        segs,
        path: pathText(segs),
        found: show(found),
        expected: `one of ${allowed.join(', ')}${didYouMean(String(found), allowed)}`,
      };
    }
    default:
      return { segs, path: pathText(segs), found: show(found), expected: describe(e) };
  }
}

const EXAMPLES: Record<string, string> = { 'date-time': ' such as 2025-09-01T00:00:00Z' };

/** ajv's "must be <= 65535" in the words of the rest of the message: what was expected. */
function expectation(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'type':
      return p.type === 'object'
        ? 'a mapping (key: value lines)'
        : p.type === 'array'
          ? 'a list'
          : `a ${String(p.type)}`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `a number ${String(p.comparison)} ${String(p.limit)}`;
    case 'minItems':
      return `a list of at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`;
    case 'minLength':
      return 'non-empty text';
    case 'uniqueItems':
      return `a list without repeats (items ${String(p.j)} and ${String(p.i)} are the same)`;
    case 'pattern':
      return `text matching ${String(p.pattern)}`;
    case 'format':
      return `a ${String(p.format)}${EXAMPLES[String(p.format)] ?? ''}`;
    default:
      return e.message ?? e.keyword;
  }
}

function describe(e: ErrorObject): string {
  const desc = (e.parentSchema as { description?: string } | undefined)?.description;
  return `${expectation(e)}${desc ? ` (${desc})` : ''}`;
}

/** Several errors at one path (anyOf branches) collapse into one problem listing the choices. */
function collapse(
  problems: Array<Problem & { segs: Array<string | number> }>,
): Array<Problem & { segs: Array<string | number> }> {
  const byPath = new Map<string, Array<Problem & { segs: Array<string | number> }>>();
  for (const p of problems) byPath.set(p.path, [...(byPath.get(p.path) ?? []), p]);
  return [...byPath.values()].map((group) => {
    if (group.length === 1) return group[0]!;
    const expected = [...new Set(group.map((g) => g.expected))].filter(
      (x) => !x.startsWith('must match a schema in anyOf'),
    );
    return { ...group[0]!, expected: expected.join(' or ') };
  });
}

/** How badly one anyOf branch misses a mapping: wrong type, then unknown fields, then any error. */
function missScore(errors: ErrorObject[], at: string): number {
  const here = (k: string) => errors.filter((e) => e.instancePath === at && e.keyword === k).length;
  return here('type') * 1000 + here('additionalProperties') * 100 + errors.length;
}

/**
 * For a mapping that matches no branch of an anyOf (a chain: catalog id, PEM files or a weighted
 * mix), keep only the errors of the branch it was closest to: `{ weighted: … }` with a bad weight
 * should hear about the weight, not that it is not a string and lacks `cert`. Ties keep all.
 */
function closestBranches(errors: ErrorObject[], doc: unknown): ErrorObject[] {
  let out = errors;
  for (const any of errors.filter((e) => e.keyword === 'anyOf')) {
    const data = valueAt(doc, segments(any.instancePath));
    if (!data || typeof data !== 'object' || Array.isArray(data) || !out.includes(any)) continue;
    const prefix = `${any.schemaPath}/`;
    const branches = new Map<string, ErrorObject[]>();
    for (const e of out.filter((x) => x.schemaPath.startsWith(prefix))) {
      const n = e.schemaPath.slice(prefix.length).split('/')[0]!;
      branches.set(n, [...(branches.get(n) ?? []), e]);
    }
    const scored = [...branches.values()].map((b) => ({ b, score: missScore(b, any.instancePath) }));
    const best = Math.min(...scored.map((x) => x.score));
    if (scored.filter((x) => x.score === best).length !== 1) continue;
    const drop = new Set(scored.filter((x) => x.score !== best).flatMap((x) => x.b));
    drop.add(any);
    out = out.filter((e) => !drop.has(e));
  }
  return out;
}

export function schemaProblems(doc: unknown): Array<Problem & { segs: Array<string | number> }> {
  if (validate(doc)) return [];
  // An if/then rule (fault params) reports its inner errors itself; its own "must match then" adds nothing.
  const errors = closestBranches(
    (validate.errors ?? []).filter((e) => e.keyword !== 'if'),
    doc,
  );
  return collapse(errors.map((e) => toProblem(e, doc)));
}
