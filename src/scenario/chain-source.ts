/**
 * A chain reference as written in a scenario (catalog id or PEM file paths) → a ChainSource with
 * paths resolved against the scenario's folder. Its own module because both the endpoint compile
 * (compile.ts) and the timeline compile (timeline/compile.ts) use it, and compile.ts imports the
 * timeline compile: keeping it in compile.ts made an import cycle.
 */
import { resolve } from 'node:path';
import type { ChainSource, ServedChainSource } from '../pki/types.js';
import type { ChainRefFile, SingleChainRefFile } from './schema.js';

export function chainSource(ref: ChainRefFile, baseDir: string): ServedChainSource {
  if (typeof ref !== 'string' && 'weighted' in ref)
    return {
      weighted: ref.weighted.map((w) => ({ source: singleSource(w.chain, baseDir), weight: w.weight })),
      ...(ref.seed !== undefined && { seed: ref.seed }),
    };
  return singleSource(ref, baseDir);
}

function singleSource(ref: SingleChainRefFile, baseDir: string): ChainSource {
  if (typeof ref === 'string') return { catalog: ref };
  const at = (path: string) => resolve(baseDir, path);
  return { files: { cert: at(ref.cert), key: at(ref.key), ca: ref.ca && at(ref.ca) } };
}
