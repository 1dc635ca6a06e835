/**
 * Timeline steps of a scenario file → compiled steps: one trigger, the target endpoints resolved,
 * and the actions in the order they are written in the step.
 */
import type { StepFile } from '../schema.js';
import { chainSource } from '../chain-source.js';
import type { ServedChainSource } from '../../pki/types.js';
import { ACTION_KEYS, TRIGGER_KEYS } from './schema.js';

export type Trigger =
  | { kind: 'at'; at: Date }
  | { kind: 'after'; connections: number; endpoint?: string }
  | { kind: 'delay'; ms: number }
  | { kind: 'admin' };

export type Action =
  | { kind: 'chain'; endpoints: string[]; source: ServedChainSource; keyType: 'rsa' | 'ec' }
  | { kind: 'rotateLeaf'; endpoints: string[] }
  | { kind: 'rotateIntermediate'; endpoints: string[]; to?: string }
  | { kind: 'profile'; endpoints: string[]; profile: string }
  | { kind: 'clock'; to: string }
  | { kind: 'fault'; start: string[]; stop: string[] }
  | { kind: 'drop'; endpoints: string[] };

export interface CompiledStep {
  id: string;
  index: number;
  description?: string;
  trigger: Trigger;
  actions: Action[];
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30s" → 30000, "+1d" → 86400000, "-2h" → -7200000 (the grammar is the schema's pattern). */
export function durationMs(text: string): number {
  const m = /^([+-]?)(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text);
  if (!m) throw new Error(`not a duration: ${text}`);
  return (m[1] === '-' ? -1 : 1) * Number(m[2]) * UNIT_MS[m[3]!]!;
}

export function stepId(step: StepFile, index: number): string {
  return step.id ?? `step-${index + 1}`;
}

/** The step's trigger keys, in file order (exactly one is valid; check.ts says so otherwise). */
export function triggerKeys(step: StepFile): string[] {
  return Object.keys(step).filter((k) => (TRIGGER_KEYS as readonly string[]).includes(k));
}

export function actionKeys(step: StepFile): Array<(typeof ACTION_KEYS)[number]> {
  return Object.keys(step).filter((k): k is (typeof ACTION_KEYS)[number] =>
    (ACTION_KEYS as readonly string[]).includes(k),
  );
}

export function stepEndpoints(step: StepFile, all: readonly string[]): string[] {
  if (step.endpoint === undefined) return [...all];
  return typeof step.endpoint === 'string' ? [step.endpoint] : step.endpoint;
}

function trigger(step: StepFile): Trigger {
  if (step.at !== undefined) return { kind: 'at', at: new Date(step.at) };
  if (step.after !== undefined)
    return { kind: 'after', connections: step.after.connections, endpoint: step.after.endpoint };
  if (step.delay !== undefined) return { kind: 'delay', ms: durationMs(step.delay) };
  return { kind: 'admin' };
}

function list(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : typeof v === 'string' ? [v] : v;
}

function action(step: StepFile, key: (typeof ACTION_KEYS)[number], endpoints: string[], baseDir: string): Action {
  switch (key) {
    case 'chain':
      return { kind: 'chain', endpoints, source: chainSource(step.chain!, baseDir), keyType: 'rsa' };
    case 'eccChain':
      return { kind: 'chain', endpoints, source: chainSource(step.eccChain!, baseDir), keyType: 'ec' };
    case 'rotateLeaf':
      return { kind: 'rotateLeaf', endpoints };
    case 'rotateIntermediate':
      return {
        kind: 'rotateIntermediate',
        endpoints,
        to: step.rotateIntermediate === true ? undefined : step.rotateIntermediate,
      };
    case 'profile':
      return { kind: 'profile', endpoints, profile: step.profile! };
    case 'clock':
      return { kind: 'clock', to: step.clock! };
    case 'fault':
      return { kind: 'fault', start: list(step.fault?.start), stop: list(step.fault?.stop) };
    case 'drop':
      return { kind: 'drop', endpoints };
  }
}

export function compileTimeline(
  steps: readonly StepFile[] | undefined,
  endpointNames: readonly string[],
  baseDir: string,
): CompiledStep[] {
  return (steps ?? []).map((step, index) => {
    const endpoints = stepEndpoints(step, endpointNames);
    return {
      id: stepId(step, index),
      index,
      description: step.description,
      trigger: trigger(step),
      actions: actionKeys(step).map((k) => action(step, k, endpoints, baseDir)),
    };
  });
}
