/**
 * An endpoint's own chain (PEM files) whose key is not a private key, or not the leaf's key, used to
 * pass `hubtls check`, bind, and fail every handshake. It is now refused with HUBTLS_CHAIN_FILE,
 * naming the files, by `check` and `run` (the CLI as a child process) and by a reload, which
 * leaves the running chain serving.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { stringify } from 'yaml';
import { startTestHub } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { sharedStore } from '../helpers/pki.js';
import { hubtlsToEnd } from '../helpers/cli.js';

const store = await sharedStore();
const g2 = await store.serve('g2', { kind: 'iothub' });
const other = await store.serve('ecc-g3', { kind: 'iothub' });

const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-chain-files-'));
t.teardown(() => import('node:fs/promises').then((fs) => fs.rm(dir, { recursive: true, force: true })));
const write = (name: string, text: string) => (writeFileSync(path.join(dir, name), text), name);
const FILES = {
  cert: write('chain.pem', g2.certPem),
  good: write('key.pem', g2.keyPem),
  certAsKey: write('not-a-key.pem', g2.certPem),
  otherKey: write('other-key.pem', other.keyPem),
};

/** A scenario in `dir` whose one endpoint serves chain.pem with the given key file. */
function scenario(name: string, key: string): string {
  const doc = {
    name,
    endpoints: [
      {
        name: 'hub',
        kind: 'iothub',
        hostnames: ['*.azure-devices.net'],
        default: true,
        profile: 'iothub-2025',
        chain: { cert: FILES.cert, key },
      },
    ],
  };
  return write(`${name}.yaml`, stringify(doc));
}

const cli = hubtlsToEnd;

const at = (name: string) => path.join(dir, name);
const NOT_A_KEY = new RegExp(`key file ${at(FILES.certAsKey)} holds no usable private key`);
const MISMATCH = new RegExp(`key file ${at(FILES.otherKey)} does not match the certificate in ${at(FILES.cert)}`);

t.test('check: a key file that is no private key, or not the leaf key, exits 2 naming the files', async (t) => {
  const good = await cli(['check', at(scenario('good', FILES.good))]);
  t.equal(good.code, 0, good.stderr);
  t.match(good.stdout, /good\.yaml: ok/);

  const notKey = await cli(['check', at(scenario('cert-as-key', FILES.certAsKey))]);
  t.equal(notKey.code, 2);
  t.match(notKey.stderr, NOT_A_KEY);
  t.match(notKey.stderr, /\(HUBTLS_CHAIN_FILE\)/);
  t.notMatch(notKey.stdout, /: ok/);

  const mismatch = await cli(['check', at(scenario('other-key', FILES.otherKey))]);
  t.equal(mismatch.code, 2);
  t.match(mismatch.stderr, MISMATCH);
  t.match(mismatch.stderr, /HUBTLS_CHAIN_FILE/);
});

t.test('check: a timeline step switching to a bad file chain is found too', async (t) => {
  const file = write(
    'timeline.yaml',
    stringify({
      name: 'timeline',
      endpoints: [
        {
          name: 'hub',
          kind: 'iothub',
          hostnames: ['*.azure-devices.net'],
          default: true,
          profile: 'iothub-2025',
          chain: 'g2',
        },
      ],
      timeline: [{ id: 'own', on: 'admin', chain: { cert: FILES.cert, key: FILES.otherKey } }],
    }),
  );
  const r = await cli(['check', at(file)]);
  t.equal(r.code, 2);
  t.match(r.stderr, MISMATCH);
});

t.test('run: a mismatched key is a configuration error before anything listens', async (t) => {
  const r = await cli(['run', '--port', '0', '--admin-port', '0', at(scenario('run-other-key', FILES.otherKey))]);
  t.equal(r.code, 2);
  t.match(r.stderr, MISMATCH);
  t.notMatch(r.stderr, /ready\./);
});

t.test('reload: a bad key file is refused and the running chain keeps serving', async (t) => {
  const file = at(scenario('reload', FILES.good));
  const th = await startTestHub(t, file);
  const before = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(before.handshakeOk, 'own chain served');

  writeFileSync(file, await import('node:fs/promises').then((fs) => fs.readFile(at(scenario('x', FILES.certAsKey)))));
  const r = await th.hub.reload();
  t.match(r, { ok: false, error: NOT_A_KEY });
  const after = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(after.handshakeOk, 'still serving the previous chain');
  t.match(await th.nextHandshake((h) => h.outcome === 'HUBTLS_ACCEPTED'), { chain: { id: `file:${at(FILES.cert)}` } });
});
