/**
 * The scenario library's contract: every story says at the top what a device sees, and every story
 * is proven by an integration test that loads it.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';

const scenarios = readdirSync('scenarios').filter((n) => n.endsWith('.yaml'));
const read = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.endsWith('.test.ts'))
    .map((n) => readFileSync(`${dir}/${n}`, 'utf8'))
    .join('\n');
const integration = read('test/integration');
const anyTest = integration + read('test/unit');

const REQUIRED = [
  'default',
  'baltimore-to-g2-migration',
  'g2-to-msrsa2017-cross-sign',
  'tls12-enforcement',
  'suite-change-2025',
  'ecc-preview',
  'tls13-preview-sni-required',
  'dps-legacy-suites',
  'leaf-rotation-breaks-pinning',
  'intermediate-rotation',
  'expired-leaf',
  'not-yet-valid',
  'wrong-hostname',
  'missing-intermediate',
  'untrusted-root',
  'oversized-chain',
];

t.test('the stories the issue lists are all there, and one per fault', async (t) => {
  for (const name of REQUIRED) t.ok(scenarios.includes(`${name}.yaml`), name);
  const { faultNames } = await import('../../src/faults/registry.js');
  for (const f of faultNames()) t.ok(scenarios.includes(`fault-${f}.yaml`), `fault-${f}.yaml`);
});

t.test('every scenario opens with its name, matches its file name and is loaded by a test', async (t) => {
  for (const file of scenarios) {
    const text = readFileSync(`scenarios/${file}`, 'utf8');
    const name = file.replace(/\.yaml$/, '');
    t.match(text.split('\n')[0], new RegExp(`^# ${name} — `), `${file}: header names the story`);
    t.match(text, new RegExp(`^name: ${name}$`, 'm'), `${file}: name matches the file`);
    t.ok(anyTest.includes(`scenarios/${file}`), `${file} is loaded by a test`);
  }
});

t.test('each library story says what a device sees and is proven by an integration test', async (t) => {
  const library = scenarios.filter((f) => REQUIRED.includes(f.replace(/\.yaml$/, '')) || f.startsWith('fault-'));
  for (const file of library) {
    const text = readFileSync(`scenarios/${file}`, 'utf8');
    t.match(
      text,
      /^#.*(what a device|a device (that|which|whose)|What a device sees)/im,
      `${file}: header says what a device sees`,
    );
    t.ok(integration.includes(`scenarios/${file}`), `${file} is loaded by a test in test/integration/`);
  }
});

t.test('every library scenario has an expect: block, so `hubtls test` grades it (issue 16)', async (t) => {
  const { parse } = await import('yaml');
  for (const file of scenarios) {
    const doc = parse(readFileSync(`scenarios/${file}`, 'utf8')) as { expect?: Record<string, unknown> };
    t.ok(doc.expect && Object.keys(doc.expect).length > 0, `${file} has expectations`);
  }
});
