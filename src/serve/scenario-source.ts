/**
 * Where a hub's scenario comes from: the file at start (validated and compiled at once), and what a
 * reload reads (off the event loop, only from the allowed folders). Shared by a single-process hub,
 * the primary and each worker of `--workers N`.
 */
import { afterModeNames } from '../after/registry.js';
import type { PkiStore } from '../pki/store.js';
import { loadScenario } from '../scenario/load.js';
import { loadScenarioOffThread } from '../scenario/load-async.js';
import { compileScenario, type CompiledScenario, type Overrides } from '../scenario/compile.js';
import { reloadFileGate } from './reload-files.js';

export interface ScenarioSourceOptions {
  /** The hub's scenario file: reloads may read files in its folder. */
  scenarioFile: string;
  /** The file to load now, when a reload has put another one in force (a restarted worker). */
  currentFile?: string;
  overrides?: Overrides;
  maxScenarioBytes?: number;
  reloadDirs?: readonly string[];
}

export interface ScenarioSource {
  /** The scenario at start, compiled. */
  first: CompiledScenario;
  compile(file: string): Promise<CompiledScenario>;
  allow(file: string): Promise<string>;
}

export function scenarioSource(o: ScenarioSourceOptions, pki: PkiStore): ScenarioSource {
  const ctx = () => ({ chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() });
  const limits = { maxBytes: o.maxScenarioBytes };
  return {
    // At start nothing is served yet: load here. A reload parses on a worker thread (load-async.ts).
    first: compileScenario(loadScenario(o.currentFile ?? o.scenarioFile, ctx(), limits), o.overrides),
    compile: async (file) => compileScenario(await loadScenarioOffThread(file, ctx(), limits), o.overrides),
    allow: reloadFileGate(o.scenarioFile, o.reloadDirs),
  };
}
