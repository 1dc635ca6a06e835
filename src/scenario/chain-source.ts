/**
 * A chain reference as written in a scenario (catalog id or PEM file paths) → a ChainSource with
 * paths resolved against the scenario's folder. Its own module because both the endpoint compile
 * (compile.ts) and the timeline compile (timeline/compile.ts) use it, and compile.ts imports the
 * timeline compile: keeping it in compile.ts made an import cycle.
 */
import { resolve } from 'node:path';
import type { ChainSource } from '../pki/types.js';
import type { ChainRefFile } from './schema.js';

export function chainSource(ref: ChainRefFile, baseDir: string): ChainSource {
  if (typeof ref === 'string') return { catalog: ref };
  const at = (path: string) => resolve(baseDir, path);
  return { files: { cert: at(ref.cert), key: at(ref.key), ca: ref.ca && at(ref.ca) } };
}
