/** Writes schema/scenario.schema.json from the TypeBox definition (test/unit/schema.test.ts checks it is current). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { scenarioSchemaText } from '../src/cli/schema.js';

mkdirSync('schema', { recursive: true });
writeFileSync('schema/scenario.schema.json', scenarioSchemaText());
process.stdout.write('wrote schema/scenario.schema.json\n');
