/**
 * Reads a scenario file, validates all of it (schema, then meaning), and reports every problem
 * at once with the path and line. Nothing is bound or generated here.
 */
import { existsSync, accessSync, constants } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDocument, LineCounter, isNode } from 'yaml';
import { didYouMean } from '../util/suggest.js';
import { findProfile, profileIds } from '../profiles/registry.js';
import { schemaProblems } from './schema-check.js';
import { ScenarioError, pathText, show, type Problem } from './problems.js';
import { Scenario, type ChainRefFile, type EndpointFile, type ScenarioFile } from './schema.js';
import { readScenarioText } from './read.js';
import { timelineProblems } from './timeline/check.js';
import { declaredFaultIds, faultProblems } from './faults-check.js';
import { afterProblems } from '../after/options.js';
import { deviceProblems } from '../core/validate.js';

/** What validation needs to know from the rest of the product (injected, so this stays pure). */
export interface ValidationContext {
  chainIds: readonly string[];
  afterModes: readonly string[];
}

export interface LoadedScenario {
  file: string;
  baseDir: string;
  doc: ScenarioFile;
}

/** Starting and check-time knobs of loading (the operator's, not the scenario's). */
export interface LoadOptions {
  /** Files over this size are refused before parsing (HUBTLS_SCENARIO_TOO_LARGE). */
  maxBytes?: number;
}

/**
 * Every alias expansion counts; the default (100) is plenty for hand-written anchors and stops an
 * alias bomb (a few lines that expand to billions of nodes) before it eats the process.
 */
const MAX_ALIAS_COUNT = 100;

function parse(file: string, text: string): { doc: ReturnType<typeof parseDocument>; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors.map((e) => ({
        path: '',
        found: `invalid YAML (${e.message.split(' at line')[0]})`,
        expected: 'valid YAML',
        line: e.linePos?.[0]?.line,
      })),
    );
  }
  return { doc, lines };
}

/** The document as plain data; an alias bomb (or any other failure to expand it) is a scenario problem. */
function toData(file: string, doc: ReturnType<typeof parseDocument>): unknown {
  try {
    return doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
  } catch (e) {
    const aliases = /alias/i.test((e as Error).message);
    throw new ScenarioError(file, [
      {
        path: '',
        found: aliases
          ? `YAML aliases that expand more than ${MAX_ALIAS_COUNT} times (an alias bomb?)`
          : `YAML that cannot be turned into data (${(e as Error).name})`,
        expected: 'a scenario whose anchors and aliases (&name, *name) expand to a modest document',
      },
    ]);
  }
}

const TOP_LEVEL = Object.keys(Scenario.properties);

/**
 * A file that is not a scenario at all (a reload pointed at some other file) is refused without
 * quoting it: its keys could be the lines of a password file. Only keys that look like typos of
 * scenario fields are named, since those help and reveal nothing.
 */
function notAScenario(file: string, data: unknown): void {
  const isMap = data !== null && typeof data === 'object' && !Array.isArray(data);
  if (isMap && 'endpoints' in data) return;
  const keys = isMap ? Object.keys(data) : [];
  const typos = keys.filter((k) => didYouMean(k, TOP_LEVEL)).map((k) => `"${k}"${didYouMean(k, TOP_LEVEL)}`);
  const what = !isMap
    ? `its top level is ${data === null ? 'empty' : Array.isArray(data) ? 'a list' : `a ${typeof data}`}, not a mapping`
    : `its top level has ${keys.length} key${keys.length === 1 ? '' : 's'}, none of them endpoints:${typos.length ? ` (${typos.join(', ')})` : ''}`;
  throw new ScenarioError(file, [
    {
      path: '',
      found: `a file that is not a hubtls scenario (${what})`,
      expected: 'a mapping with name: and endpoints: (see scenarios/default.yaml)',
    },
  ]);
}

export function loadScenario(file: string, ctx: ValidationContext, opts: LoadOptions = {}): LoadedScenario {
  const { doc, lines } = parse(file, readScenarioText(file, opts.maxBytes));
  const data = toData(file, doc);
  notAScenario(file, data);
  const lineOf = (segs: Array<string | number>) => lineAt(doc, lines, segs);
  const schema = schemaProblems(data).map(({ segs, ...p }) => ({ ...p, line: lineOf(segs) }));
  const meaning = schema.length
    ? []
    : semanticProblems(data as ScenarioFile, file, ctx).map(({ segs, ...p }) => ({ ...p, line: lineOf(segs) }));
  const problems = [...schema, ...meaning];
  if (problems.length) throw new ScenarioError(file, problems);
  return { file, baseDir: dirname(resolve(file)), doc: data as ScenarioFile };
}

function lineAt(
  doc: ReturnType<typeof parseDocument>,
  lines: LineCounter,
  segs: Array<string | number>,
): number | undefined {
  for (let n = segs.length; n >= 0; n--) {
    const node = doc.getIn(segs.slice(0, n), true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

type Located = Problem & { segs: Array<string | number> };

function problem(segs: Array<string | number>, found: unknown, expected: string): Located {
  return { segs, path: pathText(segs), found: found === undefined ? undefined : show(found), expected };
}

function semanticProblems(s: ScenarioFile, file: string, ctx: ValidationContext): Located[] {
  const out: Located[] = [];
  s.endpoints.forEach((ep, i) => out.push(...endpointProblems(ep, ['endpoints', i], dirname(resolve(file)), ctx)));
  out.push(...uniquenessProblems(s));
  out.push(...faultProblems(s, ctx.chainIds));
  const baseDir = dirname(resolve(file));
  const chainRefProblems = (ref: ChainRefFile, at: Array<string | number>) => chainProblems(ref, at, baseDir, ctx);
  out.push(
    ...timelineProblems(s, { chainIds: ctx.chainIds, faultIds: declaredFaultIds(s), chainProblems: chainRefProblems }),
  );
  out.push(...deviceProblems(s, dirname(resolve(file))).map((p) => problem(p.segs, p.found, p.expected)));
  return out;
}

function endpointProblems(
  ep: EndpointFile,
  at: Array<string | number>,
  baseDir: string,
  ctx: ValidationContext,
): Located[] {
  const out: Located[] = [];
  if (!findProfile(ep.profile))
    out.push(
      problem(
        [...at, 'profile'],
        ep.profile,
        `a profile id: ${profileIds().join(', ')}${didYouMean(ep.profile, profileIds())}`,
      ),
    );
  out.push(...chainProblems(ep.chain, [...at, 'chain'], baseDir, ctx));
  if (ep.eccChain !== undefined) out.push(...chainProblems(ep.eccChain, [...at, 'eccChain'], baseDir, ctx));
  if (ep.after !== undefined)
    out.push(
      ...afterProblems(ep.after, ctx.afterModes, baseDir).map((p) =>
        problem([...at, 'after', ...p.segs], p.found, p.expected),
      ),
    );
  return out;
}

function chainProblems(
  ref: ChainRefFile,
  at: Array<string | number>,
  baseDir: string,
  ctx: ValidationContext,
): Located[] {
  if (typeof ref !== 'string' && 'weighted' in ref)
    return ref.weighted.flatMap((w, i) => chainProblems(w.chain, [...at, 'weighted', i, 'chain'], baseDir, ctx));
  if (typeof ref === 'string') {
    return ctx.chainIds.includes(ref)
      ? []
      : [
          problem(
            at,
            ref,
            `a chain id from \`hubtls certs list\`: ${ctx.chainIds.join(', ')}${didYouMean(ref, ctx.chainIds)}`,
          ),
        ];
  }
  const out: Located[] = [];
  for (const key of ['cert', 'key', 'ca'] as const) {
    const f = ref[key];
    if (f !== undefined && !readable(resolve(baseDir, f)))
      out.push(problem([...at, key], f, `a readable PEM file (resolved to ${resolve(baseDir, f)})`));
  }
  return out;
}

function readable(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return existsSync(path);
  } catch {
    return false;
  }
}

function uniquenessProblems(s: ScenarioFile): Located[] {
  const out: Located[] = [];
  const seen = new Set<string>();
  const defaults = new Map<string, number>();
  s.endpoints.forEach((ep, i) => {
    if (seen.has(ep.name)) out.push(problem(['endpoints', i, 'name'], ep.name, 'a name not used by another endpoint'));
    seen.add(ep.name);
    if (!ep.default) return;
    const key = `${ep.host ?? ''}:${ep.port ?? ''}`;
    if (defaults.has(key))
      out.push(
        problem(
          ['endpoints', i, 'default'],
          true,
          `at most one default endpoint per port (endpoints[${defaults.get(key)}] is already the default)`,
        ),
      );
    defaults.set(key, i);
  });
  return out;
}
