/**
 * Issue 16: the scenario library is a test suite out of the box. Every scenarios/*.yaml (new files
 * included: the list is read from the folder) has an `expect:` block, and the reference device that
 * docs/firmware-ci.md documents — openssl s_client configured as Microsoft recommends today — meets
 * every one of them under `hubtls test`. The command is read from the docs, so the two cannot drift.
 */
import t from 'tap';
import { readFileSync, readdirSync } from 'node:fs';
import { sharedStore } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';
import { pool } from '../helpers/pool.js';
import { prepareTrust, runScenarioTest } from '../../src/report/scenario-test.js';

const files = readdirSync('scenarios')
  .filter((n) => n.endsWith('.yaml'))
  .map((n) => `scenarios/${n}`);

/** The `--client '…'` of the block after `<!-- reference-device -->` in docs/firmware-ci.md. */
function referenceDevice(): string {
  const doc = readFileSync('docs/firmware-ci.md', 'utf8');
  const block = /<!-- reference-device -->\n```sh\n(.*)\n```/.exec(doc)?.[1];
  const client = block && /--client '(.*)'$/.exec(block)?.[1];
  if (!client) throw new Error('docs/firmware-ci.md has no reference-device block with --client');
  return client;
}

t.test('every library scenario passes with the documented reference device', async (t) => {
  if (!needTool(t, 'openssl', 'openssl') || !needTool(t, 'timeout', 'coreutils')) return;
  const pki = await sharedStore();
  const o = { client: referenceDevice(), pki, trust: await prepareTrust(pki), timeoutMs: 20_000 };
  const runs = await pool(files, 3, (file) => runScenarioTest(file, o));
  for (const r of runs) {
    const seen = r.handshakes.map((h) => h.outcome).join(', ');
    t.equal(r.status, 'pass', `${r.file}: exit ${r.exitCode}, [${seen}] ${r.problems.join('; ')}`);
  }
  t.ok(
    runs.some((r) => r.exitCode === 0) && runs.some((r) => r.exitCode !== 0),
    'the device both connects and refuses across the library',
  );
});
