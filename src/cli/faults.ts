/** `hubtls faults`: the faults a scenario can use, their params and what a device sees. */
import type { Command } from 'commander';
import type { TObject } from '@sinclair/typebox';
import { FAULTS } from '../faults/registry.js';
import { withDefaults } from '../faults/params.js';
import { print } from './output.js';

function paramsText(schema: TObject): string {
  const entries = Object.entries(schema.properties) as Array<
    [string, { default?: unknown; description?: string; type?: string }]
  >;
  if (entries.length === 0) return '    (no params)';
  return entries
    .map(
      ([k, p]) =>
        `    ${k}${p.default !== undefined ? ` = ${JSON.stringify(p.default)}` : ''}${p.description ? `: ${p.description}` : ''}`,
    )
    .join('\n');
}

function listFaults(): void {
  for (const f of FAULTS) {
    print(`${f.name}  — ${f.summary}`);
    print(paramsText(f.params));
    print(`    device sees: ${f.explain(withDefaults(f, f.example ?? {}) as never)}`);
    print();
  }
  print('Use under an endpoint: faults: [{ fault: NAME, params: {…}, everyNth: N, probability: P, active: false }]');
  print('Start and stop by id from the timeline: fault: { start: ID } / { stop: ID }. See src/faults/README.md.');
}

export function registerFaultsCommand(program: Command): void {
  program.command('faults').description('list the faults scenarios can inject, with their params').action(listFaults);
}
