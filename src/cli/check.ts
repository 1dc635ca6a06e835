import type { Command } from 'commander';
import { PkiStore } from '../pki/store.js';
import { loadScenario } from '../scenario/load.js';
import { compileScenario, type CompiledScenario } from '../scenario/compile.js';
import { afterModeNames } from '../after/registry.js';
import { print, reportError } from './output.js';
import { certsDirOption, maxScenarioBytesOption } from './options.js';

function extras(s: CompiledScenario): string {
  const n = (k: number, what: string) => (k ? `, ${k} ${what}${k === 1 ? '' : 's'}` : '');
  return n(s.faults.length, 'fault') + n(s.timeline.length, 'timeline step');
}

async function check(files: string[], o: { certs: string; maxScenarioBytes?: number }): Promise<void> {
  const pki = await PkiStore.open(o.certs);
  const ctx = { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() };
  let failed = 0;
  for (const file of files) {
    try {
      const s = compileScenario(loadScenario(file, ctx, { maxBytes: o.maxScenarioBytes }));
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
