/**
 * Issue 13 items 7 and 8 from outside, through the CLI: a scenario over the size limit is refused
 * before parsing (check, run), and a YAML alias bomb is a clean HUBTLS_SCENARIO_INVALID with exit 2,
 * never "unexpected error" and a stack.
 */
import t from 'tap';
import { once } from 'node:events';
import { mkdtempSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnHubtls } from '../helpers/cli.js';

async function hubtls(args: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  const child = spawnHubtls(args);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  child.stdout!.resume();
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stderr, ms: Date.now() - started };
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-files-'));
const file = (name: string, text: string) => {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
};

/** Each level repeats the one before nine times: nine levels are 9^9 (387 million) nodes. */
const BOMB = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  .concat('bcdefghi'.split('').map((c, i) => `${c}: &${c} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`))
  .join('\n');

t.test('an alias bomb: HUBTLS_SCENARIO_INVALID and exit 2, for check and for run', async (t) => {
  const bomb = file('bomb.yaml', `${BOMB}\n`);
  for (const args of [
    ['check', bomb],
    ['run', '--port', '0', '--no-admin', bomb],
  ]) {
    const r = await hubtls(args);
    t.equal(r.code, 2, `${args[0]} exits 2: ${r.stderr}`);
    t.match(r.stderr, /bomb\.yaml: 1 problem[\s\S]*aliases that expand more than 100 times/);
    t.match(r.stderr, /HUBTLS_SCENARIO_INVALID/);
    t.notMatch(r.stderr, /unexpected error|ReferenceError|\n\s+at /, 'no stack');
  }
});

t.test('a scenario over the size limit is refused before parsing, naming file, size and limit', async (t) => {
  // 6 MiB of one long list: parsing it would take tens of seconds and gigabytes.
  const row = '  - { id: d, auth: sas }\n';
  const big = file('big.yaml', `name: big\nendpoints: []\ndevices:\n${row.repeat(Math.ceil((6 << 20) / row.length))}`);
  const size = (6 << 20) + 40;
  for (const args of [
    ['check', big],
    ['run', '--port', '0', '--no-admin', big],
  ]) {
    const r = await hubtls(args);
    t.equal(r.code, 2, `${args[0]} exits 2`);
    t.match(r.stderr, /big\.yaml is \d+ bytes, over the limit of 4194304 bytes/);
    t.match(r.stderr, /HUBTLS_SCENARIO_TOO_LARGE/);
    t.ok(Number(/is (\d+) bytes/.exec(r.stderr)?.[1]) >= size - 100, 'the real size is named');
  }
  const small = await hubtls(['check', '--max-scenario-bytes', '200', 'scenarios/default.yaml']);
  t.equal(small.code, 2, 'the limit is configurable');
  t.match(small.stderr, /over the limit of 200 bytes[\s\S]*--max-scenario-bytes/);
  const exact = await hubtls([
    'check',
    '--max-scenario-bytes',
    String(statSync('scenarios/default.yaml').size),
    'scenarios/default.yaml',
  ]);
  t.equal(exact.code, 0, `a file of exactly the limit passes: ${exact.stderr}`);
});
