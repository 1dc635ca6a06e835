/**
 * Worker-thread entry of loadScenarioOffThread (load-async.ts): parsing and validating a scenario
 * of a few megabytes takes seconds of CPU, which a running hub must not spend on its event loop.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { isHubtlsError } from '../errors.js';
import { loadScenario, type LoadOptions, type ValidationContext } from './load.js';
import { ScenarioError } from './problems.js';

const { file, ctx, opts } = workerData as { file: string; ctx: ValidationContext; opts: LoadOptions };

function failure(e: unknown): object {
  if (!isHubtlsError(e)) return { message: String((e as Error)?.message ?? e) };
  return {
    code: e.code,
    message: e.message,
    hint: e.hint,
    ...(e instanceof ScenarioError ? { problems: e.problems } : {}),
  };
}

try {
  parentPort!.postMessage({ ok: true, loaded: loadScenario(file, ctx, opts) });
} catch (e) {
  parentPort!.postMessage({ ok: false, error: failure(e) });
}
