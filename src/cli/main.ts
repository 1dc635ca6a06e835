#!/usr/bin/env node
/**
 * hubtls — a TLS test endpoint that behaves like Azure IoT Hub and DPS at the TLS layer.
 */
import { Command, CommanderError } from 'commander';
import { reportError } from './output.js';

type Register = (program: Command) => unknown;

/**
 * Each command's module is loaded only when that command runs (all of them for --help): `hubtls
 * run` then never parses the code of `test`, `inspect` or the certificate generator, which keeps
 * the start-up to listening short (bench/RESULTS.md).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  run: async () => (await import('./run.js')).registerRunCommand,
  check: async () => (await import('./check.js')).registerCheckCommand,
  profiles: async () => (await import('./profiles.js')).registerProfilesCommand,
  certs: async () => (await import('./certs.js')).registerCertsCommand,
  inspect: async () => (await import('./inspect.js')).registerInspectCommand,
  test: async () => (await import('./test.js')).registerTestCommand,
  qualify: async () => (await import('./qualify.js')).registerQualifyCommand,
  schema: async () => (await import('./schema.js')).registerSchemaCommand,
  faults: async () => (await import('./faults.js')).registerFaultsCommand,
  'connection-string': async () => (await import('./connection-string.js')).registerConnectionStringCommand,
};

// `hubtls certs list | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('hubtls')
  .description('TLS test endpoint and proxy that behaves like Azure IoT Hub and DPS')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) })
  // Commander has printed the message; a usage error exits 2 (as documented for test and qualify), help 0.
  .exitOverride();

async function main(): Promise<void> {
  const wanted = COMMANDS[process.argv[2] ?? ''];
  for (const load of wanted ? [wanted] : Object.values(COMMANDS)) (await load())(program);
  await program.parseAsync(process.argv);
}

main().catch((e) => {
  process.exitCode = e instanceof CommanderError ? (e.exitCode === 0 ? 0 : 2) : reportError(e);
});
