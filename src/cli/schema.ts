/**
 * `hubtls schema`: the JSON Schema of scenario files, for editors (yaml-language-server) and CI.
 * The same text is committed as schema/scenario.schema.json (scripts/gen-schema.ts writes it).
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { Scenario } from '../scenario/schema.js';
import { print, say } from './output.js';

/** The published schema: TypeBox's definition as plain JSON (draft-07), fault params included. */
export function scenarioSchemaText(): string {
  const schema = { $schema: 'http://json-schema.org/draft-07/schema#', title: 'hubtls scenario', ...Scenario };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

export function registerSchemaCommand(program: Command): void {
  program
    .command('schema')
    .description('print the JSON Schema of scenario files (endpoints, faults, timeline)')
    .option('--out <file>', 'write it to a file instead of stdout')
    .action((o: { out?: string }) => {
      if (!o.out) return print(scenarioSchemaText().trimEnd());
      writeFileSync(o.out, scenarioSchemaText());
      say(`wrote ${o.out}`);
    });
}
