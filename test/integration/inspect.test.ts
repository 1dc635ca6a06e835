/**
 * `hubtls inspect` against openssl clients of known configurations: each ClientHello gets the
 * verdicts (and the reasons) Azure's profiles would give it. Plus the CLI end to end (JSON out).
 */
import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { HelloCapture } from '../../src/report/capture.js';
import { renderReport } from '../../src/report/readiness-render.js';
import type { CapturedHello } from '../../src/report/readiness-render.js';
import type { ProfileVerdict } from '../../src/report/readiness.js';
import { sClient } from '../helpers/openssl.js';
import { needTool } from '../helpers/tools.js';

const SNI = ['-servername', 'myhub.azure-devices.net'];

function verdictOf(h: CapturedHello, profile: string): ProfileVerdict {
  return h.verdicts.find((v) => v.profile === profile)!;
}

t.test('readiness verdicts for openssl clients of known configurations', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const captured: CapturedHello[] = [];
  const capture = await HelloCapture.listen({
    host: '127.0.0.1',
    port: 0,
    at: new Date('2026-01-15T00:00:00Z'),
    onHello: (h, isNew) => isNew && captured.push(h),
  });
  t.teardown(() => capture.close());
  const hello = async (args: string[]) => {
    const r = await sClient(capture.port, args);
    t.equal(r.alert, 40, 'inspect answers handshake_failure');
    return captured.at(-1)!;
  };

  await t.test(
    'TLS 1.1 only, no SNI: below every floor but the legacy hub; no SNI and the version for the 1.3 preview',
    async (t) => {
      const h = await hello(['-tls1_1', '-cipher', 'ALL:@SECLEVEL=0']);
      t.equal(verdictOf(h, 'iothub-legacy').verdict, 'pass');
      t.match(verdictOf(h, 'iothub-2025'), {
        verdict: 'fail',
        outcome: 'HUBTLS_REFUSED_VERSION',
        why: [/^version below floor: offers TLS 1\.0, TLS 1\.1, iothub-2025 accepts TLS 1\.2$/],
      });
      const preview = verdictOf(h, 'iothub-tls13-preview');
      t.match(preview.why, [/^no SNI/, /^and then: version below floor/]);
      t.match(h.findings, [/offers TLS 1\.0, TLS 1\.1/]);
    },
  );

  await t.test('ECDSA-only TLS 1.2: the ECC chain on the 2025 hub, nothing on RSA-only profiles', async (t) => {
    const h = await hello(['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-GCM-SHA256', ...SNI]);
    t.match(verdictOf(h, 'iothub-2025'), {
      verdict: 'pass',
      suite: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256',
      chain: { keyType: 'ec', id: 'ecc-g3', root: 'DigiCert Global Root G3' },
    });
    t.match(verdictOf(h, 'iothub-ecc-preview'), { verdict: 'pass', chain: { keyType: 'ec' } });
    t.match(verdictOf(h, 'iothub-tls12'), { verdict: 'fail', why: [/^no shared suite with the iothub-tls12 list/] });
    t.notOk(h.findings.some((f) => /no ECDSA/.test(f)));
  });

  await t.test(
    'TLS_RSA only: no shared suite with the 2025 list; DPS still takes it; never the ECC chain',
    async (t) => {
      const h = await hello(['-tls1_2', '-cipher', 'AES128-GCM-SHA256', ...SNI]);
      t.match(verdictOf(h, 'iothub-2025'), {
        verdict: 'fail',
        outcome: 'HUBTLS_REFUSED_CIPHER',
        why: [/^no shared suite with the 2025 list$/],
      });
      t.match(verdictOf(h, 'dps'), {
        verdict: 'pass',
        suite: 'TLS_RSA_WITH_AES_128_GCM_SHA256',
        chain: { keyType: 'rsa', id: 'g2', root: 'DigiCert Global Root G2' },
      });
      t.ok(h.findings.includes('shares none of the 8 post-2025 suites: refused by every hub after 2025-08-31'));
      t.ok(h.findings.some((f) => /^no ECDSA suites, so never the ECC chain/.test(f)));
    },
  );

  await t.test(
    'TLS 1.3 only, no SNI: above the 1.2 hubs, no SNI for the 1.3 preview, Resource Manager passes',
    async (t) => {
      const h = await hello(['-tls1_3']);
      t.match(verdictOf(h, 'iothub-2025'), { verdict: 'fail', why: [/^version above ceiling: offers TLS 1\.3/] });
      t.match(verdictOf(h, 'iothub-tls13-preview'), {
        verdict: 'fail',
        outcome: 'HUBTLS_REFUSED_SNI',
        why: [/^no SNI: iothub-tls13-preview requires server_name/],
      });
      t.match(verdictOf(h, 'arm'), { verdict: 'pass', version: 'TLS 1.3' });
    },
  );

  await t.test(
    'max_fragment_length 512: a warning on every hub that ignores it, a pass on the preview hub',
    async (t) => {
      const h = await hello(['-tls1_2', '-maxfraglen', '512', ...SNI]);
      t.match(verdictOf(h, 'iothub-2025'), {
        verdict: 'warn',
        why: [/^requests max_fragment_length 512, but iothub-2025 ignores it/],
      });
      t.equal(verdictOf(h, 'iothub-ecc-preview').verdict, 'pass');
      t.match(verdictOf(h, 'iothub-ecc-preview').explanation, /max_fragment_length 512 honoured/);
    },
  );

  await t.test('a retry of the same client is counted, not listed again', async (t) => {
    const before = capture.distinct;
    await sClient(capture.port, ['-tls1_2', '-maxfraglen', '512', ...SNI]);
    t.equal(capture.distinct, before);
    t.equal(captured.at(-1)!.count, 2);
  });

  await t.test('table, JSON and Markdown renderings carry the same verdicts', async (t) => {
    const report = capture.report();
    const json = JSON.parse(renderReport(report, 'json'));
    t.equal(json.hellos.length, 5);
    t.equal(json.at, '2026-01-15T00:00:00.000Z');
    const table = renderReport(report, 'table');
    t.match(table, /iothub-2025\s+FAIL\s+-\s+-\s+no shared suite with the 2025 list/);
    t.match(table, /#3: passes \d\/9 profiles/);
    const md = renderReport(report, 'markdown');
    t.match(md, /^# Azure TLS readiness/);
    t.match(md, /\| `iothub-2025` \| ❌ fail \| – \| – \| no shared suite with the 2025 list \|/);
  });
});

t.test('hubtls inspect CLI: --count 1 --format json prints the report and exits 0', async (t) => {
  if (!needTool(t, 'openssl', 'openssl')) return;
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      'src/cli/main.ts',
      'inspect',
      '--port',
      '0',
      '--count',
      '1',
      '--timeout',
      '60',
      '--format',
      'json',
      '--profiles',
      'iothub-2025',
      'dps',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  const port = await new Promise<number>((resolve) =>
    child.stderr.on('data', (d) => {
      err += d;
      const m = /point the device at 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) resolve(Number(m[1]));
    }),
  );
  await sClient(port, ['-tls1_2', '-cipher', 'AES128-GCM-SHA256', ...SNI]);
  const [code] = await once(child, 'close');
  t.equal(code, 0, err);
  const report = JSON.parse(out);
  t.same(
    report.hellos[0].verdicts.map((v: ProfileVerdict) => [v.profile, v.verdict]),
    [
      ['iothub-2025', 'fail'],
      ['dps', 'pass'],
    ],
  );
  t.match(err, /captured ClientHello #1 .* passes 1\/2 profiles/);
});
