#!/usr/bin/env node
/**
 * hubtls — a TLS test endpoint that behaves like Azure IoT Hub and DPS at the TLS layer.
 */
import { Command } from 'commander';
import { registerRunCommand } from './run.js';
import { registerProfilesCommand } from './profiles.js';
import { registerCertsCommand } from './certs.js';
import { registerCheckCommand } from './check.js';
import { registerSchemaCommand } from './schema.js';
import { registerFaultsCommand } from './faults.js';
import { reportError } from './output.js';

// `hubtls certs list | head` closes our stdout early: that is the reader's choice, not an error.
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') process.exit(0);
  throw e;
});

const program = new Command('hubtls')
  .description('TLS test endpoint and proxy that behaves like Azure IoT Hub and DPS')
  .showHelpAfterError()
  .configureOutput({ writeErr: (s) => process.stderr.write(s) });

registerRunCommand(program);
registerCheckCommand(program);
registerProfilesCommand(program);
registerCertsCommand(program);
registerSchemaCommand(program);
registerFaultsCommand(program);

program.parseAsync(process.argv).catch((e) => {
  process.exitCode = reportError(e);
});
