/**
 * Every chain against the system `openssl verify`: good chains verify, each defect fixture fails
 * with the error its story names. Facts asserted here were measured with OpenSSL 3.0.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import t, { type Test } from 'tap';
import { chainIds } from '../../src/pki/chains.js';
import { sharedStore, tempDir } from '../helpers/pki.js';
import { exportTrust } from '../../src/pki/export.js';
import type { ServedChain } from '../../src/pki/store.js';

interface Run {
  code: number;
  out: string;
}
function openssl(args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile('openssl', args, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

const store = await sharedStore();
const t0 = performance.now();
await store.prepare(
  chainIds().flatMap((chainId) => [
    { chainId, kind: 'iothub' as const },
    { chainId, kind: 'dps' as const },
  ]),
);
t.comment(`prepare every chain × both kinds on the shared store: ${(performance.now() - t0).toFixed(0)} ms`);

const work = await tempDir(t, 'hubtls-openssl-');
const trust = await exportTrust(store, { out: path.join(work, 'trust'), format: 'pem', include: ['roots', 'bundles'] });
const LEGACY_BUNDLE = trust.find((f) => f.endsWith('azure-roots-legacy-bundle.pem'))!;
const BUNDLE = trust.find((f) => f.endsWith('/azure-roots-bundle.pem'))!;

/** Write a chain's pieces to files; returns paths. */
async function files(c: ServedChain, kind: string) {
  const dir = path.join(work, `${c.chainId}-${kind}`);
  await fs.mkdir(dir, { recursive: true });
  const f = { leaf: path.join(dir, 'leaf.pem'), ints: path.join(dir, 'ints.pem'), root: path.join(dir, 'root.pem') };
  await Promise.all([
    fs.writeFile(f.leaf, c.leaf.certPem),
    fs.writeFile(f.ints, c.intermediates.map((i) => i.certPem).join('')),
    fs.writeFile(f.root, c.root.certPem),
  ]);
  return { ...f, untrusted: c.intermediates.length ? ['-untrusted', f.ints] : [] };
}

async function verify(
  chainId: string,
  kind: 'iothub' | 'dps',
  caFile: 'own' | string,
  extra: string[] = [],
): Promise<Run> {
  const f = await files(await store.serve(chainId, { kind }), kind);
  return openssl(['verify', ...extra, '-CAfile', caFile === 'own' ? f.root : caFile, ...f.untrusted, f.leaf]);
}

type Expect = 'OK' | { error: number; depth: number; text: string };
const err = (error: number, depth: number, text: string): Expect => ({ error, depth, text });
/** `openssl verify` (no -auth_level) of each chain, trusting the Azure roots (legacy bundle: with Baltimore). */
const EXPECTED: Record<string, Expect> = {
  baltimore: 'OK',
  'baltimore-msit': 'OK',
  g2: 'OK',
  'g2-tls01': 'OK',
  'g2-ca04': 'OK',
  msrsa2017: 'OK',
  'g2-cross-msrsa2017': 'OK',
  'ecc-g3': 'OK',
  'ecc-msecc2017': 'OK',
  expired: err(10, 0, 'certificate has expired'),
  'not-yet-valid': err(9, 0, 'certificate is not yet valid'),
  'wrong-host': 'OK', // only a hostname check fails it, below
  'missing-intermediate': err(20, 0, 'unable to get local issuer certificate'),
  'self-signed-leaf': err(18, 0, 'self-signed certificate'),
  'untrusted-root': err(20, 1, 'unable to get local issuer certificate'),
  'sha1-leaf': 'OK', // without a security level; fails at level 1, below
  'oversized-chain': 'OK', // valid; too big for small device buffers
  'weak-key': 'OK', // without a security level; fails at level 2, below
};

function check(t: Test, r: Run, want: Expect, what: string) {
  if (want === 'OK') {
    t.equal(r.code, 0, `${what}: OK`);
    t.match(r.out, /: OK\n/, `${what}: openssl says OK`);
  } else {
    t.not(r.code, 0, `${what}: fails`);
    t.match(
      r.out,
      `error ${want.error} at ${want.depth} depth lookup: ${want.text}`,
      `${what}: error ${want.error} ${want.text}`,
    );
  }
}

t.test('every catalog chain has an expectation', async (t) => {
  t.same(Object.keys(EXPECTED).sort(), chainIds().sort());
});

t.test('every chain, both kinds, against what a device trusts (Azure roots + Baltimore)', async (t) => {
  for (const chainId of chainIds()) {
    for (const kind of ['iothub', 'dps'] as const)
      check(t, await verify(chainId, kind, LEGACY_BUNDLE), EXPECTED[chainId]!, `${chainId}/${kind}`);
  }
});

t.test(
  'every chain against its own catalog root: only untrusted-root changes (its own root completes it)',
  async (t) => {
    for (const chainId of chainIds()) {
      const want = chainId === 'untrusted-root' ? 'OK' : EXPECTED[chainId]!;
      check(
        t,
        await verify(chainId, 'iothub', 'own'),
        want,
        `${chainId} with -CAfile ${chainId === 'untrusted-root' ? 'untrusted-root' : 'its root'}`,
      );
    }
  },
);

t.test("today's bundle (no Baltimore) rejects the Baltimore chains, accepts the rest", async (t) => {
  check(
    t,
    await verify('baltimore', 'iothub', BUNDLE),
    err(20, 1, 'unable to get local issuer certificate'),
    'baltimore',
  );
  for (const id of ['g2', 'g2-tls01', 'msrsa2017', 'g2-cross-msrsa2017', 'ecc-g3', 'ecc-msecc2017'])
    check(t, await verify(id, 'dps', BUNDLE), 'OK', id);
});

t.test('cross-signed chain: OpenSSL follows the first served path only', async (t) => {
  const c = await store.serve('g2-cross-msrsa2017', { kind: 'iothub' });
  const f = await files(c, 'cross');
  const [g2, ms] = [await store.root('digicert-g2'), await store.root('msrsa2017')];
  const anchor = async (name: string, pem: string) => {
    const file = path.join(work, `${name}.pem`);
    await fs.writeFile(file, pem);
    return file;
  };
  check(
    t,
    await openssl(['verify', '-CAfile', await anchor('g2', g2.certPem), '-untrusted', f.ints, f.leaf]),
    'OK',
    'anchor G2',
  );
  check(
    t,
    await openssl(['verify', '-CAfile', await anchor('ms', ms.certPem), '-untrusted', f.ints, f.leaf]),
    err(20, 1, 'unable to get local issuer certificate'),
    'anchor MS RSA 2017 only: no retry of the second CA 03',
  );
  const reversed = await anchor(
    'reversed',
    [...c.intermediates]
      .reverse()
      .map((i) => i.certPem)
      .join(''),
  );
  check(
    t,
    await openssl(['verify', '-CAfile', path.join(work, 'ms.pem'), '-untrusted', reversed, f.leaf]),
    'OK',
    'MS RSA 2017 with the order reversed',
  );
});

t.test('security levels: sha1-leaf fails at level 1 (the default), weak-key only at level 2', async (t) => {
  const lvl = (n: number) => ['-auth_level', String(n)];
  check(
    t,
    await verify('sha1-leaf', 'iothub', LEGACY_BUNDLE, lvl(1)),
    err(68, 0, 'CA signature digest algorithm too weak'),
    'sha1-leaf level 1',
  );
  check(
    t,
    await verify('weak-key', 'iothub', LEGACY_BUNDLE, lvl(1)),
    'OK',
    'weak-key level 1 (RSA-1024 = 80 bits is enough)',
  );
  check(
    t,
    await verify('weak-key', 'dps', LEGACY_BUNDLE, lvl(2)),
    err(66, 0, 'EE certificate key too weak'),
    'weak-key level 2',
  );
  check(t, await verify('g2', 'dps', LEGACY_BUNDLE, lvl(2)), 'OK', 'g2 level 2');
  check(
    t,
    await verify('baltimore', 'dps', LEGACY_BUNDLE, lvl(2)),
    'OK',
    'baltimore level 2 (the SHA-1 self-signature of a trust anchor is not checked)',
  );
});

t.test('hostname checks', async (t) => {
  const good = ['baltimore', 'g2', 'g2-tls01', 'msrsa2017', 'g2-cross-msrsa2017', 'ecc-g3', 'oversized-chain'];
  for (const id of good) {
    check(
      t,
      await verify(id, 'iothub', LEGACY_BUNDLE, ['-verify_hostname', 'myhub.azure-devices.net']),
      'OK',
      `${id}/iothub myhub.azure-devices.net`,
    );
    check(
      t,
      await verify(id, 'dps', LEGACY_BUNDLE, ['-verify_hostname', 'global.azure-devices-provisioning.net']),
      'OK',
      `${id}/dps global endpoint`,
    );
    check(t, await verify(id, 'iothub', LEGACY_BUNDLE, ['-verify_hostname', 'localhost']), 'OK', `${id} localhost`);
    check(t, await verify(id, 'dps', LEGACY_BUNDLE, ['-verify_ip', '127.0.0.1']), 'OK', `${id} 127.0.0.1`);
  }
  check(
    t,
    await verify('g2', 'dps', LEGACY_BUNDLE, ['-verify_hostname', 'myhub.azure-devices.net']),
    err(62, 0, 'hostname mismatch'),
    'dps leaf is not a hub name',
  );
  for (const kind of ['iothub', 'dps'] as const) {
    check(
      t,
      await verify('wrong-host', kind, LEGACY_BUNDLE, ['-verify_hostname', 'myhub.azure-devices.net']),
      err(62, 0, 'hostname mismatch'),
      `wrong-host/${kind}`,
    );
    check(
      t,
      await verify('wrong-host', kind, LEGACY_BUNDLE, ['-verify_hostname', 'localhost']),
      err(62, 0, 'hostname mismatch'),
      `wrong-host/${kind} localhost`,
    );
  }
});
