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

t.test('after: the schema and docs/scenarios.md name exactly the registered modes (no `auto`)', async (t) => {
  const { afterModeNames } = await import('../../src/after/registry.js');
  const modes = [...afterModeNames()].sort();
  const schema = JSON.parse(committed) as {
    properties: { endpoints: { items: { properties: { after: { description: string; anyOf: object[] } } } } };
  };
  const after = schema.properties.endpoints.items.properties.after;
  const listed = /after-TLS mode: (.*)$/.exec((after.anyOf[0] as { description: string }).description)?.[1];
  t.same(listed?.split(' | ').sort(), modes, 'the mode string lists the registry');
  const described = [...after.description.matchAll(/(?:\. |; )(\w+): /g)].map((m) => m[1]);
  t.same([...described].sort(), modes, 'the description explains each registered mode and no other');
  const readme = readFileSync('docs/scenarios.md', 'utf8');
  const table = readme.slice(readme.indexOf('`after` is a mode name'), readme.indexOf('**Timeline**'));
  const rows = [...table.matchAll(/^\| `(\w+)`/gm)].map((m) => m[1]);
  t.same([...rows].sort(), modes, "docs/scenarios.md's after table lists each registered mode");
  t.notMatch(after.description + table, /\bauto\b/, 'no `auto` mode anywhere');
});
