import { Option, type Command } from 'commander';
import { watchFile, unwatchFile } from 'node:fs';
import { startHub, type Hub } from '../hub.js';
import { EventBus } from '../events/bus.js';
import { createLogger, LOG_FORMATS, type LogFormat, type Logger } from '../events/logger.js';
import { attachLogSink } from '../events/log-sink.js';
import { say, reportError } from './output.js';
import { parsePort, certsDirOption } from './options.js';

export interface RunFlags {
  port?: number;
  adminPort?: number;
  host?: string;
  admin: boolean;
  certs: string;
  logLevel: string;
  logFormat?: LogFormat;
  watch: boolean;
}

function announce(hub: Hub): void {
  const rt = hub.runtime;
  for (const ep of rt.endpoints()) {
    const m = rt.materialOf(ep.name);
    const chain = m.rsa ?? m.ec!;
    const port = hub.port(ep.name);
    say(`hubtls ${ep.kind.padEnd(6)} ${ep.name.padEnd(8)} mqtts://${ep.host}:${port}  SNI ${ep.hostnames.join(',')}${ep.isDefault ? ' (default)' : ''}  profile ${rt.profileOf(ep).id}  chain ${chain.chainId} → root "${chain.rootName.replace(/.*CN=/, '')}"`);
  }
  say(`trust:  npx hubtls certs export --out ./hubtls-trust   (roots as PEM; --format der|c-header)`);
  if (hub.admin) {
    say(`admin:  ${hub.admin.url}   Authorization: Bearer ${hub.admin.token}   (API: ${hub.admin.url}/docs/json)`);
    say(`dashboard: ${hub.admin.url}/dashboard?token=${hub.admin.token}`);
  }
  say('ready. Ctrl-C stops.');
}

function guardProcess(bus: EventBus): void {
  // A peer can never kill the process: anything that escapes becomes an error event.
  process.on('uncaughtException', (e) => bus.publish({ type: 'notice', level: 'error', what: 'uncaught', msg: `uncaught exception: ${e.stack ?? e.message}` }));
  process.on('unhandledRejection', (e) => bus.publish({ type: 'notice', level: 'error', what: 'unhandled', msg: `unhandled rejection: ${(e as Error)?.stack ?? String(e)}` }));
}

/** SIGHUP or a change of the file: validate it and apply it; an invalid file leaves the running scenario as it is. */
function onReload(hub: Hub, file: string, watch: boolean): () => void {
  let queue = Promise.resolve();
  const reload = (why: string) => {
    queue = queue.then(async () => {
      const r = await hub.reload(file);
      if (r.ok) say(`${why}: reloaded ${file}${r.changed.length ? ` (changed: ${r.changed.join(', ')})` : ''}${r.warnings.map((w) => `\n  warning: ${w}`).join('')}`);
      else say(`${why}: reload refused, still running the previous scenario:\n${r.error}`);
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  // Polling survives editors that save by rename; one stat every 500 ms costs nothing.
  if (watch) watchFile(file, { interval: 500 }, (now, before) => now.mtimeMs !== before.mtimeMs && reload('file changed'));
  return () => unwatchFile(file);
}

function onSignals(hub: Hub, log: Logger, beforeClose: () => void = () => {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    say(`\n${signal}: closing listeners…`);
    beforeClose();
    void hub.close().then(() => {
      log.info({ event: 'stopped', signal }, 'stopped');
      log.flush?.();
      process.exit(0);
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export async function runScenario(file: string, f: RunFlags): Promise<void> {
  const log = createLogger({ level: f.logLevel, format: f.logFormat });
  const bus = new EventBus();
  attachLogSink(bus, log);
  try {
    const hub = await startHub({ scenarioFile: file, certsDir: f.certs, bus, log, overrides: { port: f.port, adminPort: f.adminPort, host: f.host, noAdmin: !f.admin } });
    guardProcess(bus);
    onSignals(hub, log, onReload(hub, file, f.watch));
    announce(hub);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('start the emulated IoT Hub / DPS endpoints of a scenario')
    .argument('[scenario]', 'scenario file', 'scenarios/default.yaml')
    .option('--port <n>', 'listen port for endpoints without their own (0 = any free port)', parsePort)
    .option('--admin-port <n>', 'admin API port (0 = any free port)', parsePort)
    .option('--host <addr>', 'listen address for endpoints without their own')
    .option('--no-admin', 'do not start the admin API')
    .option('--no-watch', 'do not reload the scenario when its file changes (SIGHUP still reloads)')
    .option(...certsDirOption)
    .option('--log-level <level>', 'pino level: trace, debug, info, warn, error', process.env.HUBTLS_LOG_LEVEL ?? 'info')
    .addOption(new Option('--log-format <format>', 'events as JSON lines, or pretty lines for a person (auto: pretty on a terminal)').choices(LOG_FORMATS).env('HUBTLS_LOG_FORMAT').default('auto'))
    .action((file: string, flags: RunFlags) => runScenario(file, flags));
}
