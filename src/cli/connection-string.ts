/**
 * `hubtls connection-string [SCENARIO] [--policy NAME | --device ID [--module M]] [--token]`: the connection
 * string a service or device SDK needs for the scenario's hub (or, with --token, a SAS token for curl), on stdout alone (for `$(…)` in
 * scripts). Without a policies: block, the default iothubowner keys come from the certs folder
 * (made there on first use), so the string is the one `hubtls run` with that folder accepts.
 */
import type { Command } from 'commander';
import { HubtlsError } from '../errors.js';
import { PkiStore } from '../pki/store.js';
import { signSas } from '../core/sas.js';
import { loadScenario } from '../scenario/load.js';
import { compileScenario } from '../scenario/compile.js';
import { afterModeNames } from '../after/registry.js';
import { defaultPolicy } from '../core/policy-keys.js';
import {
  bannerPolicy,
  deviceConnectionString,
  hubHost,
  requirePolicy,
  serviceConnectionString,
} from '../core/connection-strings.js';
import { bundledScenario } from '../util/package-root.js';
import { print } from './output.js';
import { certsDirOption, maxScenarioBytesOption, parsePositive } from './options.js';

interface Flags {
  token?: boolean;
  ttl: number;
  policy?: string;
  device?: string;
  module?: string;
  certs: string;
  maxScenarioBytes?: number;
}

async function connectionString(file: string | undefined, f: Flags): Promise<string> {
  if (f.policy !== undefined && f.device !== undefined)
    throw new HubtlsError('HUBTLS_USAGE', '--policy and --device ask for different strings', 'give one of them');
  if (f.module !== undefined && f.device === undefined)
    throw new HubtlsError('HUBTLS_USAGE', '--module needs --device (the module’s device)', 'add --device ID');
  const pki = await PkiStore.open(f.certs);
  const ctx = { chainIds: pki.listChains().map((c) => c.id), afterModes: afterModeNames() };
  const s = compileScenario(
    loadScenario(file ?? bundledScenario('default.yaml'), ctx, { maxBytes: f.maxScenarioBytes }),
  );
  const host = hubHost(s.endpoints);
  // Tokens expire by the scenario clock: a scenario that starts in 2019 needs a 2019 expiry.
  const expiry = Math.floor(((s.clock.start ?? new Date()).getTime() + f.ttl * 1000) / 1000);
  if (f.device !== undefined) {
    const cs = deviceConnectionString(host, s.devices.devices, f.device, f.module);
    const resource = `${host}/devices/${f.device}${f.module === undefined ? '' : `/modules/${f.module}`}`;
    return f.token ? signSas(resource, field(cs, 'SharedAccessKey'), expiry) : cs;
  }
  const policies = s.devices.policies ?? [await defaultPolicy(pki.dir)];
  const policy = f.policy !== undefined ? requirePolicy(policies, f.policy) : bannerPolicy(policies);
  if (!policy)
    throw new HubtlsError(
      'HUBTLS_UNKNOWN_POLICY',
      'no policy of this scenario has the ServiceConnect right',
      `name one with --policy (the hub has: ${policies.map((p) => p.name).join(', ') || 'none'})`,
    );
  return f.token ? signSas(host, policy.primaryKey, expiry, policy.name) : serviceConnectionString(host, policy);
}

function field(connectionString: string, name: string): string {
  return connectionString
    .split(';')
    .find((kv) => kv.startsWith(`${name}=`))!
    .slice(name.length + 1);
}

export function registerConnectionStringCommand(program: Command): void {
  program
    .command('connection-string')
    .description("print a connection string for the scenario's hub: service (a policy's) or device")
    .argument('[scenario]', 'scenario file (default: the bundled scenarios/default.yaml)')
    .option('--policy <name>', 'shared access policy (default: iothubowner, else the first with ServiceConnect)')
    .option('--device <id>', 'a SAS device of the scenario')
    .option('--module <id>', "a module of the --device (from the device's modules: in the scenario)")
    .option('--token', 'print a SAS token for that identity instead (the Authorization header of a REST call)')
    .option(
      '--ttl <seconds>',
      'with --token: how long it is valid, from the scenario clock start (or now)',
      parsePositive,
      3600,
    )
    .option(...certsDirOption)
    .option(...maxScenarioBytesOption)
    .action(async (file: string | undefined, f: Flags) => print(await connectionString(file, f)));
}
