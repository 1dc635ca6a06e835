/** Device twins as IoT Hub keeps them: desired and reported documents, each with its own $version. */
import type { TwinState } from './types.js';

type Doc = Record<string, unknown>;

const isObject = (v: unknown): v is Doc => typeof v === 'object' && v !== null && !Array.isArray(v);

export function newTwin(desired: Doc = {}): TwinState {
  return { desired: { ...desired, $version: 1 }, reported: { $version: 1 } };
}

/** JSON merge patch (null deletes), as a twin PATCH applies; `$`-prefixed keys are the service's. */
export function mergePatch(target: Doc, patch: Doc): Doc {
  const out: Doc = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (v === null) delete out[k];
    else out[k] = isObject(v) && isObject(out[k]) ? mergePatch(out[k] as Doc, v) : v;
  }
  return out;
}

/** Applies a patch to one side of the twin and bumps its version; returns the new version. */
export function patchTwin(twin: TwinState, side: 'desired' | 'reported', patch: Doc): number {
  const version = twin[side].$version + 1;
  twin[side] = { ...mergePatch(twin[side], patch), $version: version };
  return version;
}

export function isPatch(v: unknown): v is Doc {
  return isObject(v);
}
