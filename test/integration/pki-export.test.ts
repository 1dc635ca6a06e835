/** Export: the C header compiles and gives back the exported DER/PEM; PKCS#12 opens in OpenSSL and Node. */
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import t from 'tap';
import { Command } from 'commander';
import { registerCertsCommand } from '../../src/cli/certs.js';
import { AZURE_TRUST_BUNDLE } from '../../src/pki/catalog.js';
import { cName } from '../../src/pki/c-header.js';
import { exportTrust } from '../../src/pki/export.js';
import { PKCS12_PASSWORD } from '../../src/pki/pkcs12.js';
import { sharedStore, SHARED_DIR, tempDir } from '../helpers/pki.js';

const run = promisify(execFile);
const store = await sharedStore();
const roots = store.listRoots();
const work = await tempDir(t, 'hubtls-export-');

t.test('pem and der exports: every root by readable name, bundles, README', async (t) => {
  const pemFiles = await exportTrust(store, {
    out: path.join(work, 'pem'),
    format: 'pem',
    include: ['roots', 'bundles'],
  });
  const derFiles = await exportTrust(store, { out: path.join(work, 'der'), format: 'der', include: ['roots'] });
  for (const r of roots) {
    const issued = await store.root(r.id);
    t.equal(
      await fs.readFile(path.join(work, 'pem', `${r.fileName}.pem`), 'utf8'),
      issued.certPem,
      `${r.id} → ${r.fileName}.pem`,
    );
    t.same(await fs.readFile(path.join(work, 'der', `${r.fileName}.der`)), issued.der, `${r.id} → ${r.fileName}.der`);
  }
  const bundle = await fs.readFile(path.join(work, 'pem', 'azure-roots-bundle.pem'), 'utf8');
  const subjects = bundle
    .split(/(?<=-----END CERTIFICATE-----\n)/)
    .filter(Boolean)
    .map((p) => new crypto.X509Certificate(p).subject.split('\n').at(-1));
  t.same(
    subjects,
    [
      'CN=DigiCert Global Root G2',
      'CN=Microsoft RSA Root Certificate Authority 2017',
      'CN=DigiCert Global Root G3',
      'CN=Microsoft ECC Root Certificate Authority 2017',
    ],
    'bundle: the four roots Azure devices trust today',
  );
  const readme = await fs.readFile(path.join(work, 'pem', 'README.txt'), 'utf8');
  for (const f of pemFiles.filter((f) => !f.endsWith('README.txt')))
    t.match(readme, path.basename(f), `README names ${path.basename(f)}`);
  t.equal(derFiles.length, roots.length + 1, 'der: roots + README');
});

t.test('C header compiles and its bytes equal the exported DER and PEM', async (t) => {
  const out = path.join(work, 'c');
  const files = await exportTrust(store, { out, format: 'c-header', include: ['roots', 'bundles'] });
  t.same(files.map((f) => path.basename(f)).sort(), ['README.txt', 'hubtls_roots.h']);
  const header = await fs.readFile(path.join(out, 'hubtls_roots.h'), 'utf8');
  t.match(header, /#ifndef HUBTLS_ROOTS_H\n#define HUBTLS_ROOTS_H/, 'include guard');
  const dumps = roots.map((r) => {
    const n = `HUBTLS_${cName(r.fileName)}`;
    return (
      `  rc |= dump(dir, "${r.fileName}.der", ${n}_DER, ${n}_DER_LEN);\n` +
      `  rc |= dump(dir, "${r.fileName}.pem", (const unsigned char *)${n}_PEM, (unsigned int)strlen(${n}_PEM));`
    );
  });
  const program = `#include <stdio.h>
#include <string.h>
#include "hubtls_roots.h"
static int dump(const char *dir, const char *name, const unsigned char *p, unsigned int n) {
  char file[4096];
  snprintf(file, sizeof file, "%s/%s", dir, name);
  FILE *f = fopen(file, "wb");
  if (!f) return 1;
  size_t w = fwrite(p, 1, n, f);
  fclose(f);
  return w == n ? 0 : 1;
}
int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : ".";
  int rc = 0;
${dumps.join('\n')}
  rc |= dump(dir, "bundle.pem", (const unsigned char *)HUBTLS_AZURE_ROOTS_BUNDLE_PEM, (unsigned int)strlen(HUBTLS_AZURE_ROOTS_BUNDLE_PEM));
  return rc;
}
`;
  await fs.writeFile(path.join(out, 'dump.c'), program);
  await run('cc', [
    '-std=c99',
    '-Wall',
    '-Wextra',
    '-Werror',
    '-I',
    out,
    '-o',
    path.join(out, 'dump'),
    path.join(out, 'dump.c'),
  ]);
  const back = path.join(out, 'back');
  await fs.mkdir(back);
  await run(path.join(out, 'dump'), [back]);
  for (const r of roots) {
    const issued = await store.root(r.id);
    t.same(
      await fs.readFile(path.join(back, `${r.fileName}.der`)),
      issued.der,
      `${r.id}: DER from C equals the root's DER`,
    );
    t.equal(await fs.readFile(path.join(back, `${r.fileName}.pem`), 'utf8'), issued.certPem, `${r.id}: PEM from C`);
  }
  const bundle = (await Promise.all(AZURE_TRUST_BUNDLE.map((id) => store.root(id)))).map((r) => r.certPem).join('');
  t.equal(
    await fs.readFile(path.join(back, 'bundle.pem'), 'utf8'),
    bundle,
    'bundle string = G2 + MS RSA 2017 + G3 + MS ECC 2017',
  );
});

t.test('device certificates export as PEM and PKCS#12 that OpenSSL and Node open', async (t) => {
  const devices = [
    await store.deviceCert('export-rsa-ca', { signer: 'ca', keyType: 'rsa' }),
    await store.deviceCert('export-ec-self', { signer: 'self', keyType: 'ec' }),
  ];
  const out = path.join(work, 'devices');
  const files = await exportTrust(store, { out, format: 'pem', include: ['devices'] });
  for (const d of devices) {
    const stem = path.join(out, 'devices', d.id.replace(/^device\./, ''));
    t.ok(files.includes(`${stem}.p12`), `${d.id}: exported`);
    t.equal(await fs.readFile(`${stem}.key.pem`, 'utf8'), d.keyPem, 'key PEM');
    t.equal((await fs.stat(`${stem}.key.pem`)).mode & 0o777, 0o600, 'key file 0600');
    const info = await run('openssl', [
      'pkcs12',
      '-info',
      '-nodes',
      '-passin',
      `pass:${PKCS12_PASSWORD}`,
      '-in',
      `${stem}.p12`,
    ]);
    const output = info.stdout + info.stderr;
    t.match(output, `subject=CN = ${d.subject.slice(3)}`, 'openssl pkcs12 -info shows the device cert');
    const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----\n/.exec(output)?.[0] ?? '';
    t.ok(
      new crypto.X509Certificate(d.certPem).checkPrivateKey(crypto.createPrivateKey(keyPem)),
      'the key inside pairs with the cert',
    );
    const pfx = await fs.readFile(`${stem}.p12`);
    t.doesNotThrow(() => tls.createSecureContext({ pfx, passphrase: PKCS12_PASSWORD }), 'Node loads the PFX');
    await t.rejects(
      run('openssl', ['pkcs12', '-info', '-nodes', '-passin', 'pass:wrong', '-in', `${stem}.p12`]),
      'wrong password refused',
    );
  }
});

t.test('CLI: certs list and certs export', async (t) => {
  let printed = '';
  const cli = () => {
    const program = new Command('hubtls').exitOverride().configureOutput({ writeErr: () => undefined });
    registerCertsCommand(program, {
      out: (s) => {
        printed += s;
      },
    });
    return program;
  };
  await cli().parseAsync(['certs', 'list'], { from: 'user' });
  t.match(printed, /g2-cross-msrsa2017 +rsa +digicert-g2/, 'list shows chains');
  t.match(printed, /Defect fixtures[\s\S]*oversized-chain/, 'and the defect fixtures');
  t.match(printed, /msrsa2017 +RSA-4096 +sha384WithRSAEncryption/, 'and the roots');
  printed = '';
  const out = path.join(work, 'cli');
  await cli().parseAsync(['certs', 'export', '--out', out, '--format', 'c-header', '--certs', SHARED_DIR], {
    from: 'user',
  });
  t.match(printed, /hubtls_roots\.h\n[\s\S]*wrote \d+ files to /, 'export prints the files');
  await t.rejects(
    cli().parseAsync(['certs', 'export', '--out', out, '--format', 'xml'], { from: 'user' }),
    /Allowed choices are pem, der, c-header/,
  );
});
