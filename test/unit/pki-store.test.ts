import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import t, { type Test } from 'tap';
import { PkiStore, type ServedChain } from '../../src/pki/store.js';
import {
  captureLog,
  chainVerifies,
  copyStore,
  issuedIds,
  publicKeyOf,
  sharedStore,
  SHARED_DIR,
  tempDir,
  warnings,
} from '../helpers/pki.js';

const run = promisify(execFile);
const shared = await sharedStore();
const base = await shared.serve('g2', { kind: 'iothub' });
const fps = (c: ServedChain) => [c.leaf, ...c.intermediates, c.root].map((i) => i.fingerprint256);

t.test('a second open reuses the store: same certificates, nothing issued, fast', async (t) => {
  // A private copy: other test files, running at the same time, issue into the shared store.
  const dir = await tempDir(t);
  await copyStore(SHARED_DIR, dir);
  const manifestBefore = await fs.stat(path.join(dir, 'manifest.json'));
  const { log, events } = captureLog();
  const t0 = performance.now();
  const store = await PkiStore.open(dir, { log });
  const again = await store.serve('g2', { kind: 'iothub' });
  const ms = performance.now() - t0;
  t.comment(`warm open+serve of g2: ${ms.toFixed(1)} ms`);
  t.same(fps(again), fps(base), 'same fingerprints');
  t.same(issuedIds(events), [], 'nothing issued');
  t.equal((await fs.stat(path.join(dir, 'manifest.json'))).mtimeMs, manifestBefore.mtimeMs, 'manifest not rewritten');
});

/** Copy the shared store, damage it, reopen, serve g2: return the repaired chain and the log. */
async function repairCase(t: Test, damage: (dir: string) => Promise<void>) {
  const dir = await tempDir(t);
  await copyStore(SHARED_DIR, dir);
  await damage(dir);
  const { log, events } = captureLog();
  const chain = await (await PkiStore.open(dir, { log })).serve('g2', { kind: 'iothub' });
  t.ok(chainVerifies(chain), 'repaired chain verifies');
  const second = captureLog();
  const again = await (await PkiStore.open(dir, { log: second.log })).serve('g2', { kind: 'iothub' });
  t.same([fps(again), warnings(second.events).length], [fps(chain), 0], 'repair was persisted: next open is clean');
  return { chain, events, dir };
}

const leafFile = () => `${base.leaf.id}.crt.pem`;
const CA_KEY = 'azure-rsa-tls-ca-03.key.pem';

async function editManifest(
  dir: string,
  edit: (m: { keys: Record<string, { sha256: string }>; certs: Record<string, { sha256: string }> }) => void,
) {
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(await fs.readFile(file, 'utf8'));
  edit(m);
  await fs.writeFile(file, JSON.stringify(m));
}

const sha = async (file: string) =>
  (await import('node:crypto'))
    .createHash('sha256')
    .update(await fs.readFile(file))
    .digest('hex');

t.test('truncated leaf PEM: detected, leaf re-issued with its key', async (t) => {
  const { chain, events } = await repairCase(t, (dir) => fs.truncate(path.join(dir, leafFile()), 100));
  const w = warnings(events);
  t.equal(w.length, 1, 'one warn event');
  t.match(w[0], { event: 'pki.repair', file: leafFile(), problem: /sha256 differs/ }, 'names file and problem');
  t.not(chain.leaf.fingerprint256, base.leaf.fingerprint256, 'new leaf certificate');
  t.equal(publicKeyOf(chain.leaf.certPem), publicKeyOf(base.leaf.certPem), 'same leaf key');
  t.equal(chain.intermediates[0]!.fingerprint256, base.intermediates[0]!.fingerprint256, 'intermediate untouched');
});

t.test('leftover temp files from a crash are removed by the next generation', async (t) => {
  const { dir } = await repairCase(t, async (dir) => {
    await fs.writeFile(path.join(dir, `${leafFile()}.99999.dead.tmp`), 'half a cert');
    await fs.rm(path.join(dir, leafFile()));
  });
  t.same(
    (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp files left',
  );
});

t.test('unparsable leaf PEM with a matching manifest hash', async (t) => {
  const { events } = await repairCase(t, async (dir) => {
    await fs.writeFile(path.join(dir, leafFile()), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    const digest = await sha(path.join(dir, leafFile()));
    await editManifest(dir, (m) => {
      m.certs[base.leaf.id]!.sha256 = digest;
    });
  });
  t.match(warnings(events), [{ file: leafFile(), problem: /not a parsable certificate/ }]);
});

t.test('deleted intermediate key: new key, intermediate and everything under it re-issued', async (t) => {
  const { chain, events } = await repairCase(t, (dir) => fs.rm(path.join(dir, CA_KEY)));
  t.match(warnings(events), [{ file: CA_KEY, problem: 'file missing' }], 'one warn naming the key file');
  t.not(publicKeyOf(chain.intermediates[0]!.certPem), publicKeyOf(base.intermediates[0]!.certPem), 'new CA key');
  t.not(chain.leaf.fingerprint256, base.leaf.fingerprint256, 'leaf re-issued under the new CA key');
  t.equal(publicKeyOf(chain.leaf.certPem), publicKeyOf(base.leaf.certPem), 'leaf keeps its own key');
  t.equal(chain.root.fingerprint256, base.root.fingerprint256, 'root untouched');
});

t.test('manifest edited: a changed hash regenerates that entry only', async (t) => {
  const { chain, events } = await repairCase(t, (dir) =>
    editManifest(dir, (m) => {
      m.certs['digicert-g2']!.sha256 = '0'.repeat(64);
    }),
  );
  t.match(warnings(events), [{ file: 'digicert-g2.crt.pem', problem: /sha256/ }]);
  t.not(chain.root.fingerprint256, base.root.fingerprint256, 'root certificate re-issued');
  t.equal(publicKeyOf(chain.root.certPem), publicKeyOf(base.root.certPem), 'with the same key');
  t.equal(
    chain.intermediates[0]!.fingerprint256,
    base.intermediates[0]!.fingerprint256,
    'so the intermediate still verifies and is kept',
  );
});

t.test('manifest unreadable: everything used is regenerated', async (t) => {
  const { chain, events } = await repairCase(t, (dir) =>
    fs.writeFile(path.join(dir, 'manifest.json'), '{ "catalogVer'),
  );
  t.match(warnings(events), [{ file: 'manifest.json', problem: /not valid JSON/ }]);
  t.not(fps(chain).join(), fps(base).join(), 'all regenerated');
});

t.test('swapped key files: detected by hash, both keys regenerated', async (t) => {
  const { chain, events } = await repairCase(t, async (dir) => {
    const [a, b] = [path.join(dir, 'digicert-g2.key.pem'), path.join(dir, 'leaf.iothub.g2.g1.key.pem')];
    await fs.rename(a, `${a}.x`);
    await fs.rename(b, a);
    await fs.rename(`${a}.x`, b);
  });
  t.same(
    warnings(events)
      .filter((e) => e.event === 'pki.repair')
      .map((e) => e.file)
      .sort(),
    ['digicert-g2.key.pem', 'leaf.iothub.g2.g1.key.pem'],
  );
  t.match(
    events.find((e) => e.event === 'pki.roots.replaced'),
    { level: 40, roots: [{ id: 'digicert-g2', file: 'digicert-g2.key.pem' }] },
    'and one warning that the root was replaced (trust exported earlier breaks)',
  );
  t.not(publicKeyOf(chain.root.certPem), publicKeyOf(base.leaf.certPem), 'root does not end up with the leaf key');
});

t.test('swapped keys with the manifest hashes swapped too: key does not match certificate', async (t) => {
  const { events } = await repairCase(t, async (dir) => {
    const [a, b] = [path.join(dir, 'digicert-g2.key.pem'), path.join(dir, 'leaf.iothub.g2.g1.key.pem')];
    const [ka, kb] = [await fs.readFile(a), await fs.readFile(b)];
    await fs.writeFile(a, kb);
    await fs.writeFile(b, ka);
    await editManifest(dir, (m) => {
      [m.keys['digicert-g2']!.sha256, m.keys['leaf.iothub.g2.g1']!.sha256] = [
        m.keys['leaf.iothub.g2.g1']!.sha256,
        m.keys['digicert-g2']!.sha256,
      ];
    });
  });
  t.match(
    warnings(events)
      .map((e) => e.problem)
      .join('\n'),
    /does not match key digicert-g2/,
  );
});

t.test('unwritable or misplaced certs dir gives HUBTLS_CERTS_DIR', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'not-a-dir');
  await fs.writeFile(file, 'x');
  await t.rejects(
    PkiStore.open(file),
    { code: 'HUBTLS_CERTS_DIR', message: /cannot write certs dir .*not-a-dir/, hint: /--certs/ },
    'a file where the dir should be',
  );
  await t.rejects(PkiStore.open(path.join(file, 'sub')), { code: 'HUBTLS_CERTS_DIR' }, 'a dir under a file');
  const ro = path.join(dir, 'ro');
  await fs.mkdir(ro, { mode: 0o500 });
  if (process.getuid?.() === 0)
    t.comment('running as root: permission bits do not stop root, read-only dir case skipped');
  else await t.rejects(PkiStore.open(ro), { code: 'HUBTLS_CERTS_DIR' }, 'a read-only dir');
});

t.test('two stores in one process generating the same chain end with the same files', async (t) => {
  const dir = await tempDir(t);
  const [a, b] = await Promise.all([PkiStore.open(dir), PkiStore.open(dir)]);
  const [ca, cb] = await Promise.all([a.serve('ecc-g3', { kind: 'iothub' }), b.serve('ecc-g3', { kind: 'iothub' })]);
  t.same(fps(ca), fps(cb), 'same certificates');
  const { log, events } = captureLog();
  const cc = await (await PkiStore.open(dir, { log })).serve('ecc-g3', { kind: 'iothub' });
  t.same([fps(cc), issuedIds(events), warnings(events)], [fps(ca), [], []], 'a third open reads them unchanged');
  t.ok(chainVerifies(cc), 'chain verifies');
});

t.test('two processes generating the same chain at once end with the same valid files', async (t) => {
  const dir = await tempDir(t);
  const child = path.join(import.meta.dirname, '../helpers/serve-child.ts');
  const spawnOne = () => run(process.execPath, ['--import', 'tsx', child, dir, 'g2'], { cwd: process.cwd() });
  const [r1, r2] = (await Promise.all([spawnOne(), spawnOne()])).map(
    (r) => JSON.parse(r.stdout) as { fps: string[]; keys: number },
  );
  t.same(r1!.fps, r2!.fps, 'both processes served the same certificates');
  t.same([r1!.keys, r2!.keys].sort(), [0, 3], 'one process generated the 3 keys, the other waited and read them');
  const { log, events } = captureLog();
  const c = await (await PkiStore.open(dir, { log })).serve('g2', { kind: 'iothub' });
  t.same(fps(c), r1!.fps, 'the files on disk are those certificates');
  t.same([issuedIds(events), warnings(events)], [[], []], 'intact: nothing regenerated');
  t.ok(chainVerifies(c), 'chain verifies');
  t.same(
    (await fs.readdir(dir)).filter((f) => f.endsWith('.tmp') || f === '.lock'),
    [],
    'no lock or temp files left',
  );
});

t.test('a lock left by a dead process is taken over', async (t) => {
  const dir = await tempDir(t);
  const dead = await run(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  await fs.writeFile(
    path.join(dir, '.lock'),
    JSON.stringify({ pid: Number(dead.stdout), host: os.hostname(), token: 'x' }),
  );
  const { log, events } = captureLog();
  const c = await (await PkiStore.open(dir, { log })).serve('ecc-g3', { kind: 'dps' });
  t.ok(chainVerifies(c), 'served');
  t.match(warnings(events), [{ event: 'pki.lock.stale', pid: Number(dead.stdout) }]);
});

t.test('a lock held by a live process: bounded wait, then HUBTLS_CERTS_LOCKED', async (t) => {
  const dir = await tempDir(t);
  await fs.writeFile(path.join(dir, '.lock'), JSON.stringify({ pid: process.ppid, host: os.hostname(), token: 'y' }));
  const store = await PkiStore.open(dir, { lockTimeoutMs: 200 });
  await t.rejects(store.serve('ecc-g3', { kind: 'dps' }), {
    code: 'HUBTLS_CERTS_LOCKED',
    message: new RegExp(`pid ${process.ppid}`),
  });
});

t.test('prepare, regenerate, unknown ids', async (t) => {
  const dir = await tempDir(t);
  const store = await PkiStore.open(dir);
  await store.prepare([
    { chainId: 'ecc-g3', kind: 'iothub' },
    { chainId: 'ecc-msecc2017', kind: 'dps' },
  ]);
  const mode = async (f: string) => (await fs.stat(path.join(dir, f))).mode & 0o777;
  t.same(
    [await mode('.'), await mode('digicert-g3.key.pem'), await mode('digicert-g3.crt.pem')],
    [0o700, 0o600, 0o644],
    'dir 0700, keys 0600',
  );
  const { log, events } = captureLog();
  const reopened = await PkiStore.open(dir, { log });
  const before = await reopened.serve('ecc-msecc2017', { kind: 'dps' });
  t.same(issuedIds(events), [], 'prepared chains are served without issuing');
  t.same(
    events.filter((e) => e.event === 'pki.generated'),
    [],
    'and nothing is reported generated',
  );
  await fs.writeFile(path.join(dir, 'mine.key.pem'), 'not ours');
  await reopened.regenerate();
  t.same(
    (await fs.readdir(dir)).sort(),
    ['manifest.json', 'mine.key.pem'],
    'regenerate wipes what the store wrote, nothing else',
  );
  const after = await reopened.serve('ecc-msecc2017', { kind: 'dps' });
  t.not(after.root.fingerprint256, before.root.fingerprint256, 'fresh certificates after regenerate');
  await t.rejects(store.serve('nope', { kind: 'iothub' }), { code: 'HUBTLS_UNKNOWN_CHAIN', hint: /ecc-g3/ });
  await t.rejects(store.root('nope'), { code: 'HUBTLS_UNKNOWN_ROOT' });
  await t.rejects(store.prepare([{ chainId: 'nope', kind: 'dps' }]), { code: 'HUBTLS_UNKNOWN_CHAIN' });
  await t.rejects(store.serve('ecc-g3', { kind: 'dps', validAt: new Date('nope') }), { code: 'HUBTLS_BAD_VALID_AT' });
});

t.test('certs dir from HUBTLS_CERTS_DIR', async (t) => {
  const { resolveCertsDir } = await import('../../src/pki/store.js');
  const saved = process.env.HUBTLS_CERTS_DIR;
  t.teardown(() => {
    if (saved === undefined) delete process.env.HUBTLS_CERTS_DIR;
    else process.env.HUBTLS_CERTS_DIR = saved;
  });
  process.env.HUBTLS_CERTS_DIR = '/tmp/x-certs';
  t.equal(resolveCertsDir(), '/tmp/x-certs');
  t.equal(resolveCertsDir('rel'), path.resolve('rel'), 'the flag wins');
  delete process.env.HUBTLS_CERTS_DIR;
  t.equal(resolveCertsDir(), path.resolve('certs'));
});
