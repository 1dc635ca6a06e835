import type { Command } from 'commander';
import { PkiStore } from '../pki/store.js';
import { loadScenario } from '../scenario/load.js';
import { compileScenario, type CompiledScenario } from '../scenario/compile.js';
import { afterModeNames } from '../after/registry.js';
import { chainFromFiles } from '../pki/resolve.js';
import { singleSources, type ChainSource } from '../pki/types.js';
import { print, reportError } from './output.js';
import { certsDirOption, maxScenarioBytesOption } from './options.js';

function extras(s: CompiledScenario): string {
  const n = (k: number, what: string) => (k ? `, ${k} ${what}${k === 1 ? '' : 's'}` : '');
  return n(s.faults.length, 'fault') + n(s.timeline.length, 'timeline step');
}

type ChainFiles = Extract<ChainSource, { files: unknown }>['files'];

/** Every own chain (PEM files) the scenario names: endpoints and timeline chain steps, each once. */
function fileChains(s: CompiledScenario): ChainFiles[] {
  const sources = [
    ...s.endpoints.flatMap((e) => [e.chain, e.eccChain]),
    ...s.timeline.flatMap((step) => step.actions.map((a) => (a.kind === 'chain' ? a.source : undefined))),
  ];
  const files = new Map<string, ChainFiles>();
  for (const src of sources.flatMap((x) => (x ? singleSources(x) : [])))
    if ('files' in src) files.set(JSON.stringify(src.files), src.files);
  return [...files.values()];
}

/**
 * Read and pair-check each file chain as start and reload will (key parses, matches the leaf):
 * a wrong key file otherwise passes check, binds, and fails every handshake. Generates nothing.
 */
function chainFileErrors(s: CompiledScenario): unknown[] {
  return fileChains(s).flatMap((files) => {
    try {
      chainFromFiles(files);
      return [];
    } catch (e) {
      return [e];
    }
  });
}

async function check(files: string[], o: { certs: string; maxScenarioBytes?: number }): Promise<void> {
  const pki = await PkiStore.open(o.certs);
  const ctx = { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() };
  let failed = 0;
  for (const file of files) {
    try {
      const s = compileScenario(loadScenario(file, ctx, { maxBytes: o.maxScenarioBytes }));
      const chainErrors = chainFileErrors(s);
      if (chainErrors.length > 0) {
        failed++;
        chainErrors.forEach(reportError);
        continue;
      }
      print(
        `${file}: ok (${s.endpoints.length} endpoint${s.endpoints.length === 1 ? '' : 's'} on ${s.listeners.map((l) => `${l.host}:${l.port}`).join(', ')}${extras(s)})`,
      );
    } catch (e) {
      failed++;
      reportError(e);
    }
  }
  if (failed) process.exitCode = 2;
}

export function registerCheckCommand(program: Command): void {
  program
    .command('check')
    .description('validate scenario files without starting anything')
    .argument('<files...>', 'scenario files')
    .option(...certsDirOption)
    .option(...maxScenarioBytesOption)
    .action(check);
}
