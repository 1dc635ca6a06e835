import type { Command } from 'commander';
import { PROFILES, getProfile } from '../profiles/registry.js';
import { effectiveProfile } from '../profiles/effective.js';
import { versionLabel } from '../profiles/suites.js';
import type { ProfileDefinition } from '../profiles/types.js';
import { print } from './output.js';

function versions(p: ProfileDefinition): string {
  return p.versions.map((v) => versionLabel(v.version) + (v.until ? ` (until ${v.until})` : '')).join(', ');
}

function listProfiles(): void {
  const now = new Date();
  for (const p of PROFILES) {
    const eff = effectiveProfile(p, now);
    print(`${p.id.padEnd(22)} ${versions(p).padEnd(34)} ${String(eff.suites.length).padStart(2)} suites  ${p.title}`);
  }
  print();
  print('hubtls profiles show ID   for versions, suites, dates and the source of each profile');
}

function showProfile(id: string, json: boolean): void {
  const p = getProfile(id);
  if (json) return print(JSON.stringify(p, null, 2));
  print(`${p.id} — ${p.title}`);
  print(`source:   ${p.source}`);
  print(`summary:  ${p.summary}`);
  print(`versions: ${versions(p)}`);
  print(`groups:   ${p.groups.join(', ')}`);
  print(`certs:    ${p.certKeyTypes.join(' + ').toUpperCase()}   SNI: ${p.sni}   max_fragment_length: ${p.mfl}`);
  if (p.minTls12Profile) print(`minTlsVersion "1.2" on the endpoint selects profile ${p.minTls12Profile}`);
  print("suites (IANA names; the service follows the client's order):");
  for (const s of p.suites)
    print(
      `  ${s.name}${s.until ? `   until ${s.until}` : ''}${s.from ? `   from ${s.from}` : ''}${s.note ? `   — ${s.note}` : ''}`,
    );
}

export function registerProfilesCommand(program: Command): void {
  const cmd = program
    .command('profiles')
    .description('list the Azure TLS profiles hubtls emulates')
    .action(listProfiles);
  cmd
    .command('show <id>')
    .description('versions, suites, dates and source of one profile')
    .option('--json', 'print the profile definition as JSON')
    .action((id: string, o: { json?: boolean }) => showProfile(id, !!o.json));
}
