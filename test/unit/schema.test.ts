/**
 * The published JSON Schema: the committed file is what the code generates (run `npm run schema`
 * after changing the schema), and on its own — with a plain ajv, as an editor or CI would use it —
 * it accepts every library scenario and rejects bad fault params.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { scenarioSchemaText } from '../../src/cli/schema.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const committed = readFileSync('schema/scenario.schema.json', 'utf8');

t.test('schema/scenario.schema.json is current', async (t) => {
  t.equal(committed, scenarioSchemaText(), 'regenerate with `npm run schema`');
});

t.test('the published schema validates scenarios on its own', async (t) => {
  const validate = addFormats(new Ajv({ allErrors: true, strict: false })).compile(JSON.parse(committed) as object);
  for (const f of readdirSync('scenarios').filter((n) => n.endsWith('.yaml'))) {
    t.ok(validate(parse(readFileSync(`scenarios/${f}`, 'utf8'))), `${f} ${JSON.stringify(validate.errors ?? '')}`);
  }
  const bad = parse(readFileSync('scenarios/fault-slow-bytes.yaml', 'utf8')) as {
    endpoints: Array<{ faults: Array<{ params: object }> }>;
  };
  bad.endpoints[0]!.faults[0]!.params = { bytes: 'fast' };
  t.notOk(validate(bad), 'a fault param of the wrong type is rejected');
  t.ok(validate.errors?.some((e) => e.instancePath === '/endpoints/0/faults/0/params/bytes'));
});
