/**
 * `hubtls certs export` as a script runs it (a child process): stdout carries only the list of
 * files written, device files have stable names and an index, and a damaged root is announced
 * on stderr in plain words with the command that re-exports the roots.
 */
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { copyStore, sharedStore, SHARED_DIR, tempDir } from '../helpers/pki.js';
import { hubtlsToEnd, type CliResult } from '../helpers/cli.js';

const store = await sharedStore();
// The copies below need every root and one device certificate in the shared store.
await Promise.all(store.listRoots().map((r) => store.root(r.id)));
await store.deviceCert('cli-export-dev', { signer: 'ca', keyType: 'ec' });

function exportCli(certs: string, out: string): Promise<CliResult> {
  return hubtlsToEnd(['certs', 'export', '--certs', certs, '--out', out]);
}

async function storeCopy(t: Test): Promise<string> {
  const dir = await tempDir(t, 'hubtls-cli-certs-');
  await fs.mkdir(path.join(dir, 'certs'));
  await copyStore(SHARED_DIR, path.join(dir, 'certs'));
  return dir;
}

const fingerprint = async (file: string) => new crypto.X509Certificate(await fs.readFile(file)).fingerprint256;

t.test('export: stdout is the list of files only; devices get stable names and index.json', async (t) => {
  const dir = await storeCopy(t);
  const out = path.join(dir, 'out');
  const r = await exportCli(path.join(dir, 'certs'), out);
  t.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  t.notOk(
    lines.some((l) => l.startsWith('{')),
    'no JSON log line on stdout',
  );
  t.match(lines.at(-1), /^wrote \d+ files to /);
  for (const l of lines.slice(0, -1)) t.ok(path.isAbsolute(l), `a path: ${l}`);
  const stem = path.join(out, 'devices', 'cli-export-dev.ca.ec');
  const index = JSON.parse(await fs.readFile(path.join(out, 'devices', 'index.json'), 'utf8')) as {
    devices: Array<{ deviceId: string; stable: boolean; cert: string; key: string; validNow: boolean }>;
  };
  const stable = index.devices.find((d) => d.deviceId === 'cli-export-dev' && d.stable);
  t.match(stable, { cert: 'devices/cli-export-dev.ca.ec.crt.pem', key: 'devices/cli-export-dev.ca.ec.key.pem' });
  t.equal(stable?.validNow, true, 'the stable name holds the certificate valid now');
  const cert = new crypto.X509Certificate(await fs.readFile(`${stem}.crt.pem`));
  t.ok(cert.checkPrivateKey(crypto.createPrivateKey(await fs.readFile(`${stem}.key.pem`))), 'stable cert and key pair');
  t.match(cert.subject, /CN=cli-export-dev/);
  for (const d of index.devices) t.ok(await fs.stat(path.join(out, d.cert)), `index names an existing ${d.cert}`);
});

t.test('a corrupted root key: a plain warning on stderr naming the root and the export command', async (t) => {
  const dir = await storeCopy(t);
  const certs = path.join(dir, 'certs');
  const before = await fingerprint(path.join(certs, 'digicert-g3.crt.pem'));
  await fs.writeFile(path.join(certs, 'digicert-g3.key.pem'), 'not a key\n');
  const r = await exportCli(certs, path.join(dir, 'out'));
  t.equal(r.code, 0, r.stderr);
  const plain = r.stderr
    .split('\n')
    .filter((l) => !l.startsWith('{'))
    .join('\n');
  t.match(plain, /hubtls: WARNING: a root CA in .* was damaged and replaced by a NEW root certificate/);
  t.match(plain, /- digicert-g3 \(exported as digicert-global-root-g3\.pem\): digicert-g3\.key\.pem: sha256 differs/);
  t.match(plain, `hubtls certs export --certs ${certs} --out <dir>`);
  t.notMatch(plain, /digicert-g2 \(/, 'only the replaced root is named');
  t.not(await fingerprint(path.join(dir, 'out', 'digicert-global-root-g3.pem')), before, 'it is a new root indeed');

  const again = await exportCli(certs, path.join(dir, 'out2'));
  t.notMatch(again.stderr, /WARNING/, 'said once: the next run finds the repaired store intact');
});

t.test('a lost manifest.json: every root comes back new, and all are named', async (t) => {
  const dir = await storeCopy(t);
  const certs = path.join(dir, 'certs');
  await fs.writeFile(path.join(certs, 'manifest.json'), '{ truncated');
  const r = await exportCli(certs, path.join(dir, 'out'));
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, new RegExp(`hubtls: WARNING: ${store.listRoots().length} root CAs in .* were damaged`));
  for (const root of store.listRoots()) t.match(r.stderr, `- ${root.id} (exported as ${root.fileName}.pem)`);
  t.match(r.stderr, /not recorded in manifest\.json/);
});

t.test('a fresh certs dir: generating the roots the first time is no warning', async (t) => {
  const dir = await tempDir(t, 'hubtls-cli-certs-');
  const r = await exportCli(path.join(dir, 'certs'), path.join(dir, 'out'));
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stderr, /WARNING/);
});
