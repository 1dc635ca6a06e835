/**
 * What the timeline's JSON Schema cannot say: one trigger per step, at least one action, and every
 * reference (endpoint, chain, profile, fault id, step id) naming something that exists, with a
 * "did you mean". Rotations are followed through the steps so `rotateIntermediate: true` is known
 * to have a target before anything starts.
 */
import { didYouMean } from '../../util/suggest.js';
import { findProfile, profileIds } from '../../profiles/registry.js';
import { located, type Located } from '../problems.js';
import type { ChainRefFile, ScenarioFile, StepFile } from '../schema.js';
import { actionKeys, stepEndpoints, stepId, triggerKeys } from './compile.js';
import { nextIntermediate } from './rotation.js';

export interface TimelineCheckContext {
  chainIds: readonly string[];
  faultIds: readonly string[];
  /** Problems of a chain reference (catalog id or files), from the loader. */
  chainProblems(ref: ChainRefFile, at: Array<string | number>): Located[];
}

type Segs = Array<string | number>;

function oneOf(kind: string, value: string, known: readonly string[], at: Segs): Located[] {
  return known.includes(value)
    ? []
    : [located(at, value, `${kind}: ${known.join(', ') || '(none declared)'}${didYouMean(value, known)}`)];
}

function shapeProblems(step: StepFile, at: Segs): Located[] {
  const out: Located[] = [];
  const triggers = triggerKeys(step);
  if (triggers.length === 0)
    out.push(
      located(
        at,
        undefined,
        'one trigger: at (simulated time), after ({connections: N}), delay (e.g. 30s) or on: admin',
      ),
    );
  if (triggers.length > 1)
    out.push(
      located(
        [...at, triggers[1]!],
        `${triggers.join(' and ')} in one step`,
        'one trigger per step (put the second one in a step of its own)',
      ),
    );
  if (actionKeys(step).length === 0)
    out.push(
      located(
        at,
        undefined,
        'at least one action: chain, eccChain, rotateLeaf, rotateIntermediate, profile, clock, fault or drop',
      ),
    );
  if (step.on === 'admin' && step.id === undefined)
    out.push(
      located(
        [...at, 'id'],
        undefined,
        'an id for an `on: admin` step (runtime.trigger(id) and the admin API name it)',
      ),
    );
  return out;
}

function referenceProblems(
  step: StepFile,
  at: Segs,
  endpoints: readonly string[],
  ctx: TimelineCheckContext,
): Located[] {
  const out: Located[] = [];
  const eps = step.endpoint === undefined ? [] : typeof step.endpoint === 'string' ? [step.endpoint] : step.endpoint;
  eps.forEach((e, k) =>
    out.push(
      ...oneOf(
        'an endpoint name',
        e,
        endpoints,
        typeof step.endpoint === 'string' ? [...at, 'endpoint'] : [...at, 'endpoint', k],
      ),
    ),
  );
  if (step.after?.endpoint !== undefined)
    out.push(...oneOf('an endpoint name', step.after.endpoint, endpoints, [...at, 'after', 'endpoint']));
  if (step.chain !== undefined) out.push(...ctx.chainProblems(step.chain, [...at, 'chain']));
  if (step.eccChain !== undefined) out.push(...ctx.chainProblems(step.eccChain, [...at, 'eccChain']));
  if (step.profile !== undefined && !findProfile(step.profile))
    out.push(...oneOf('a profile id', step.profile, profileIds(), [...at, 'profile']));
  if (typeof step.rotateIntermediate === 'string')
    out.push(
      ...oneOf('a chain id from `hubtls certs list`', step.rotateIntermediate, ctx.chainIds, [
        ...at,
        'rotateIntermediate',
      ]),
    );
  for (const key of ['start', 'stop'] as const) {
    const ids = step.fault?.[key];
    const list = ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids;
    list.forEach((id, k) =>
      out.push(
        ...oneOf(
          "a fault id declared under an endpoint's faults",
          id,
          ctx.faultIds,
          typeof ids === 'string' ? [...at, 'fault', key] : [...at, 'fault', key, k],
        ),
      ),
    );
  }
  return out;
}

function duplicateIds(steps: readonly StepFile[]): Located[] {
  const seen = new Set<string>();
  return steps.flatMap((s, i) => {
    const id = stepId(s, i);
    const dup = seen.has(id);
    seen.add(id);
    return dup ? [located(['timeline', i, 'id'], id, 'a step id not used by another step')] : [];
  });
}

/** A chain reference as rotation messages name it (a catalog id has a known next CA; the others do not). */
function servedWords(ref: ChainRefFile): string {
  if (typeof ref === 'string') return ref;
  return 'weighted' in ref ? 'a weighted mix of chains' : 'your PEM files';
}

/** Follows each endpoint's RSA chain through the steps: a rotation without a target needs a known next CA. */
function rotationProblems(doc: ScenarioFile): Located[] {
  const names = doc.endpoints.map((e) => e.name);
  const chain = new Map(doc.endpoints.map((e) => [e.name, servedWords(e.chain)]));
  const out: Located[] = [];
  (doc.timeline ?? []).forEach((step, i) => {
    const eps = stepEndpoints(step, names).filter((e) => chain.has(e));
    for (const key of actionKeys(step)) {
      if (key === 'chain') for (const e of eps) chain.set(e, servedWords(step.chain!));
      if (key !== 'rotateIntermediate') continue;
      for (const e of eps) {
        const to = step.rotateIntermediate === true ? nextIntermediate(chain.get(e)!) : step.rotateIntermediate!;
        if (to) chain.set(e, to);
        else
          out.push(
            located(
              ['timeline', i, 'rotateIntermediate'],
              true,
              `a chain id to rotate to: endpoint ${e} serves ${chain.get(e)} here, which has no known next issuing CA (name one, e.g. rotateIntermediate: g2-ca04)`,
            ),
          );
      }
    }
  });
  return out;
}

export function timelineProblems(doc: ScenarioFile, ctx: TimelineCheckContext): Located[] {
  const steps = doc.timeline ?? [];
  const endpoints = doc.endpoints.map((e) => e.name);
  const perStep = steps.flatMap((step, i) => [
    ...shapeProblems(step, ['timeline', i]),
    ...referenceProblems(step, ['timeline', i], endpoints, ctx),
  ]);
  return [...perStep, ...duplicateIds(steps), ...rotationProblems(doc)];
}
