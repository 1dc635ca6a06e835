/**
 * loadScenario on a worker thread, for a hub that is serving: a reload must never stall handshakes.
 * A 4 MiB scenario takes ~10 s to parse here (the yaml package is slow on long lists); on the
 * main thread that froze every connection for as long. The worker also takes the memory of the
 * parse with it when it ends.
 */
import { Worker } from 'node:worker_threads';
import { HubtlsError } from '../errors.js';
import type { LoadedScenario, LoadOptions, ValidationContext } from './load.js';
import { ScenarioError, type Problem } from './problems.js';

type Answer =
  | { ok: true; loaded: LoadedScenario }
  | { ok: false; error: { code?: string; message: string; hint?: string; problems?: Problem[] } };

/** Heap cap of the worker: a parse that needs more ends the worker, not the hub. */
const WORKER_HEAP_MB = 1024;

function rebuild(file: string, e: Extract<Answer, { ok: false }>['error']): Error {
  if (e.problems) return new ScenarioError(file, e.problems);
  return e.code ? new HubtlsError(e.code, e.message, e.hint) : new Error(e.message);
}

/**
 * The worker's entry next to this module: .ts under tsx (tests, `npm run hubtls`), .js from tsc,
 * .mjs in the bundle (scripts/bundle.mjs builds it as its own entry).
 */
function workerSource(): { code: string; eval: boolean } {
  const self = import.meta.url;
  const ext = /\.(m?[jt]s)$/.exec(new URL(self).pathname)?.[1] ?? 'js';
  const entry = new URL(`./load-worker.${ext}`, self).href;
  if (ext !== 'ts') return { code: new URL(entry).pathname, eval: false };
  // Node 20 does not carry tsx's loader into workers: the worker registers it before loading the entry.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `const { register } = await import(${JSON.stringify(tsx)}); register(); await import(${JSON.stringify(entry)});`;
  return { code, eval: true };
}

export function loadScenarioOffThread(
  file: string,
  ctx: ValidationContext,
  opts: LoadOptions = {},
): Promise<LoadedScenario> {
  const src = workerSource();
  return new Promise((resolve, reject) => {
    let answered = false;
    const worker = new Worker(src.code, {
      eval: src.eval,
      workerData: { file, ctx: { chainIds: [...ctx.chainIds], afterModes: [...ctx.afterModes] }, opts },
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    worker.once('message', (a: Answer) => {
      answered = true;
      void worker.terminate();
      if (a.ok) resolve(a.loaded);
      else reject(rebuild(file, a.error));
    });
    worker.once('error', (e: NodeJS.ErrnoException) => {
      if (answered) return;
      if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
        return reject(
          new HubtlsError(
            'HUBTLS_SCENARIO_TOO_LARGE',
            `scenario file ${file} needs more than ${WORKER_HEAP_MB} MB to parse`,
            'a scenario is rarely over 100 KB: split it, or lower what it repeats',
          ),
        );
      reject(new Error(`the scenario loader's worker failed: ${e.message}`));
    });
    // A worker that ends without a word must not leave the reload waiting for ever.
    worker.once('exit', (code) => answered || reject(new Error(`the scenario loader's worker exited (${code})`)));
  });
}
