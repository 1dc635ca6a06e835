/**
 * Issue 4: independent scanners (sslscan, nmap ssl-enum-ciphers) see exactly the iothub-2025 table:
 * TLS 1.2 only, the eight suites, and the client's preference.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { needTool } from '../helpers/tools.js';
import { effectiveProfile } from '../../src/profiles/effective.js';
import { getProfile } from '../../src/profiles/registry.js';

const run = promisify(execFile);
const table = effectiveProfile(getProfile('iothub-2025'), new Date()).suites;

t.test('sslscan', async (t) => {
  if (!needTool(t, 'sslscan', 'sslscan')) return;
  const th = await startTestHub(t, oneEndpoint('iothub-2025'));
  const flags = [
    '--no-colour',
    '--no-fallback',
    '--no-renegotiation',
    '--no-compression',
    '--no-heartbleed',
    '--no-groups',
    '--no-check-certificate',
  ];
  const { stdout } = await run('sslscan', [...flags, `127.0.0.1:${th.port}`], { timeout: 60_000 });
  const enabled = [...stdout.matchAll(/^(SSLv2|SSLv3|TLSv1\.\d)\s+enabled/gm)].map((m) => m[1]);
  t.same(enabled, ['TLSv1.2'], 'only TLS 1.2 enabled');
  const accepted = [...stdout.matchAll(/^(?:Preferred|Accepted)\s+TLSv1\.2\s+\d+ bits\s+(\S+)/gm)]
    .map((m) => m[1]!)
    .sort();
  t.same(accepted, table.map((s) => s.openssl!).sort(), 'exactly the eight 2025 suites');
});

t.test('nmap ssl-enum-ciphers', async (t) => {
  if (!needTool(t, 'nmap', 'nmap')) return;
  const th = await startTestHub(t, oneEndpoint('iothub-2025'));
  const { stdout } = await run('nmap', ['-Pn', '-p', String(th.port), '--script', 'ssl-enum-ciphers', '127.0.0.1'], {
    timeout: 120_000,
  });
  t.same(
    [...stdout.matchAll(/\|\s+(TLSv1\.\d|SSLv3):/g)].map((m) => m[1]),
    ['TLSv1.2'],
    'only TLS 1.2',
  );
  const suites = [...stdout.matchAll(/\|\s+(TLS_\w+) \(/g)].map((m) => m[1]!).sort();
  t.same(suites, table.map((s) => s.iana).sort(), 'exactly the eight 2025 suites');
  t.match(stdout, /cipher preference: client/, 'the hub follows the client preference');
});
