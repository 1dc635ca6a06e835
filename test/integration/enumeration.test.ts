/**
 * Issue 4 proof: for every profile, one openssl s_client handshake per TLS version and per cipher
 * suite OpenSSL knows. The accepted set must equal the profile's table exactly, and every refusal
 * must carry the alert Azure sends (70 for versions, 40 for suites). Two profiles are enumerated a
 * second time with the ClientHello pre-check off, to prove OpenSSL's own configuration enforces the
 * same table.
 */
import t, { type Test } from 'tap';
import { execFileSync } from 'node:child_process';
import { startTestHub, oneEndpoint } from '../helpers/hub.js';
import { sClient } from '../helpers/openssl.js';
import { pool } from '../helpers/pool.js';
import { PROFILES } from '../../src/profiles/registry.js';
import { effectiveProfile } from '../../src/profiles/effective.js';
import type { ProfileDefinition } from '../../src/profiles/types.js';

interface OsslSuite {
  iana: string;
  name: string;
  min: string;
  kx: string;
  au: string;
}

function opensslSuites(): OsslSuite[] {
  const out = execFileSync('openssl', ['ciphers', '-V', '-stdname', 'ALL:COMPLEMENTOFALL:@SECLEVEL=0'], {
    encoding: 'utf8',
  });
  return (
    out
      .trim()
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .map((f) => ({ iana: f[2]!, name: f[4]!, min: f[5]!, kx: f[6]!.slice(3), au: f[7]!.slice(3) }))
      // PSK and SRP suites need credentials the client does not have: no ClientHello is ever sent.
      .filter((s) => !/PSK|SRP/.test(s.kx) && !/PSK|SRP/.test(s.au))
  );
}

// ~1,200 s_client processes: minutes on a loaded 2-core machine, so this file gets more than tap's default.
t.setTimeout(480_000);

const SUITES = opensslSuites();
const VERSION_FLAGS: Record<string, string> = {
  TLSv1: '-tls1',
  'TLSv1.1': '-tls1_1',
  'TLSv1.2': '-tls1_2',
  'TLSv1.3': '-tls1_3',
};
const BASE = ['-servername', 'myhub.azure-devices.net'];

interface Probe {
  label: string;
  args: string[];
  accept: boolean;
  alert: number;
}

function probes(p: ProfileDefinition): Probe[] {
  const eff = effectiveProfile(p, new Date());
  const has = (v: string) => (eff.versions as string[]).includes(v);
  const accepted = new Set(
    eff.suites
      .filter((s) => p.certKeyTypes.includes(s.auth === 'ECDSA' ? 'ec' : 'rsa') || s.auth === 'ANY')
      .map((s) => s.iana),
  );
  const list: Probe[] = Object.entries(VERSION_FLAGS).map(([v, flag]) => ({
    label: `version ${v}`,
    args: [flag, '-cipher', 'ALL:@SECLEVEL=0'],
    accept: has(v),
    alert: 70,
  }));
  for (const s of SUITES.filter((s) => s.min !== 'TLSv1.3')) {
    list.push({
      label: `TLS 1.2 ${s.iana}`,
      args: ['-tls1_2', '-cipher', `${s.name}:@SECLEVEL=0`],
      accept: accepted.has(s.iana),
      alert: 40,
    });
    if (has('TLSv1') && s.min !== 'TLSv1.2')
      list.push({
        label: `TLS 1.0 ${s.iana}`,
        args: ['-tls1', '-cipher', `${s.name}:@SECLEVEL=0`],
        accept: accepted.has(s.iana),
        alert: 40,
      });
  }
  if (has('TLSv1.3'))
    for (const s of SUITES.filter((s) => s.min === 'TLSv1.3'))
      list.push({
        label: `TLS 1.3 ${s.iana}`,
        args: ['-tls1_3', '-ciphersuites', s.name],
        accept: accepted.has(s.iana),
        alert: 40,
      });
  return list;
}

async function enumerate(t: Test, p: ProfileDefinition, precheck: boolean): Promise<void> {
  const th = await startTestHub(t, oneEndpoint(p.id), { precheck });
  const list = probes(p);
  const results = await pool(list, 4, (probe) => sClient(th.port, [...BASE, ...probe.args]));
  const wrong = list
    .map((probe, i) => ({ probe, r: results[i]! }))
    .filter(({ probe, r }) => r.handshakeOk !== probe.accept || (!probe.accept && r.alert !== probe.alert));
  t.same(
    wrong.map(
      ({ probe, r }) =>
        `${probe.label}: expected ${probe.accept ? 'accept' : `alert ${probe.alert}`}, got ${r.handshakeOk ? `accept ${r.cipher}` : `alert ${r.alert ?? 'none'}`}`,
    ),
    [],
    `${list.length} handshakes against ${p.id}`,
  );
  const acceptedSuites = new Set(
    list.filter((pr, i) => pr.label.includes('_') && results[i]!.handshakeOk).map((pr) => pr.label.split(' ').pop()),
  );
  const table = effectiveProfile(p, new Date())
    .suites.map((s) => s.iana)
    .filter((n) => n !== 'TLS_RSA_WITH_3DES_EDE_CBC_SHA');
  t.same(
    [...acceptedSuites].sort(),
    table.filter((n) => SUITES.some((s) => s.iana === n)).sort(),
    `accepted set of ${p.id} equals its table`,
  );
  if (precheck) t.equal(th.handshakes().length, list.length, 'one handshake event per connection');
}

for (const p of PROFILES) t.test(`profile ${p.id}`, (t) => enumerate(t, p, true));
for (const id of ['iothub-2025', 'iothub-legacy'])
  t.test(`profile ${id}, OpenSSL alone (pre-check off)`, (t) =>
    enumerate(
      t,
      PROFILES.find((p) => p.id === id)!,
      false,
    ),
  );
