import { InvalidArgumentError, Option, type Command } from 'commander';
import { watchFile, unwatchFile } from 'node:fs';
import cluster from 'node:cluster';
import os from 'node:os';
import { startServing, type HubHandle as Hub } from '../hub.js';
import { runWorker } from '../cluster/worker.js';
import { WORKER_ENV, type WorkerConfig } from '../cluster/messages.js';
import { EventBus } from '../events/bus.js';
import { createLogger, prettyStream, wantsPretty, LOG_FORMATS, type LogFormat, type Logger } from '../events/logger.js';
import { attachLogSink } from '../events/log-sink.js';
import { say, reportError } from './output.js';
import { parsePort, certsDirOption, maxScenarioBytesOption } from './options.js';
import { isLoopback } from '../util/loopback.js';
import { isWeighted } from '../pki/types.js';
import { describeChainSource } from '../pki/resolve.js';
import { bundledScenario } from '../util/package-root.js';
import { bannerPolicy, hubHost, serviceConnectionString } from '../core/connection-strings.js';

export interface RunFlags {
  port?: number;
  adminPort?: number;
  host?: string;
  adminHost?: string;
  maxConnections?: number;
  drainMs: number;
  admin: boolean;
  certs: string;
  logLevel: string;
  logFormat?: LogFormat;
  watch: boolean;
  maxScenarioBytes?: number;
  reloadDir: string[];
  workers?: number;
}

function announce(hub: Hub): void {
  const rt = hub.runtime;
  for (const ep of rt.endpoints.list()) {
    const m = rt.endpoints.materialOf(ep.name);
    const first = m.rsa ?? m.ec!;
    const root = `root "${first.rootName.replace(/.*CN=/, '')}"`;
    // A mixed rollout names its mix: each connection draws one of its chains.
    const chain = isWeighted(ep.chain) ? describeChainSource(ep.chain) : `${first.chainId} → ${root}`;
    const port = hub.port(ep.name);
    // The scheme a client would dial: it follows the endpoint's after-TLS mode, not the port.
    const scheme = ep.after === 'mqtt' ? 'mqtts' : ep.after === 'https' ? 'https' : 'tls';
    say(
      `hubtls ${ep.kind.padEnd(6)} ${ep.name.padEnd(8)} ${scheme}://${ep.host}:${port}  SNI ${ep.hostnames.join(',')}${ep.isDefault ? ' (default)' : ''}  profile ${rt.endpoints.profileOf(ep).id}  chain ${chain}`,
    );
  }
  say(`trust:  npx hubtls certs export --out ./hubtls-trust   (roots as PEM; --format der|c-header)`);
  announceService(hub);
  if (hub.admin) {
    say(`admin:  ${hub.admin.url}   Authorization: Bearer ${hub.admin.token}   (API: ${hub.admin.url}/docs/json)`);
    say(`dashboard: ${hub.admin.url}/dashboard?token=${hub.admin.token}`);
  }
  if (hub.admin && !isLoopback(new URL(hub.admin.url).hostname)) {
    say(
      `WARNING: the admin API is reachable beyond this machine (${hub.admin.url}). Anyone with the token can change the hub.`,
    );
    say('WARNING: keep the token secret, or drop --admin-host to bind 127.0.0.1 only.');
  }
  say('ready. Ctrl-C stops.');
}

/**
 * The service connection string (iothubowner's, else the first policy with ServiceConnect), and
 * how SDKs that dial the real host name reach this process instead.
 */
function announceService(hub: Hub): void {
  const rt = hub.runtime;
  const endpoints = rt.endpoints.list();
  const ep = endpoints.find((e) => e.kind === 'iothub');
  const policy = bannerPolicy(rt.devices.policies.list());
  if (!ep || !policy) return;
  const host = hubHost(endpoints);
  const addr = `${ep.host}:${hub.port(ep.name)}`;
  say(
    `service: ${serviceConnectionString(host, policy)}   (more: npx hubtls connection-string --policy NAME | --device ID)`,
  );
  say(
    `         SDKs dial ${host}: device strings take ;GatewayHostName=${addr}; service SDKs need a hosts entry "${ep.host} ${host}" and the hub on port 443`,
  );
}

function guardProcess(bus: EventBus): void {
  // A peer can never kill the process: anything that escapes becomes an error event.
  process.on('uncaughtException', (e) =>
    bus.publish({
      type: 'notice',
      level: 'error',
      what: 'uncaught',
      msg: `uncaught exception: ${e.stack ?? e.message}`,
    }),
  );
  process.on('unhandledRejection', (e) =>
    bus.publish({
      type: 'notice',
      level: 'error',
      what: 'unhandled',
      msg: `unhandled rejection: ${(e as Error)?.stack ?? String(e)}`,
    }),
  );
}

/** SIGHUP or a change of the file: validate it and apply it; an invalid file leaves the running scenario as it is. */
function onReload(hub: Hub, file: string, watch: boolean): () => void {
  let queue = Promise.resolve();
  const reload = (why: string) => {
    queue = queue.then(async () => {
      const r = await hub.reload(file);
      if (r.ok)
        say(
          `${why}: reloaded ${file}${r.changed.length ? ` (changed: ${r.changed.join(', ')})` : ''}${r.warnings.map((w) => `\n  warning: ${w}`).join('')}`,
        );
      else say(`${why}: reload refused, still running the previous scenario:\n${r.error}`);
    });
  };
  process.on('SIGHUP', () => reload('SIGHUP'));
  // Polling survives editors that save by rename; one stat every 500 ms costs nothing.
  if (watch)
    watchFile(file, { interval: 500 }, (now, before) => now.mtimeMs !== before.mtimeMs && reload('file changed'));
  return () => unwatchFile(file);
}

/**
 * SIGTERM / SIGINT: stop accepting, let handshakes in flight finish (up to --drain-ms), end sessions
 * with close_notify, flush the log, exit 0. A second signal exits at once.
 */
function onSignals(hub: Hub, log: Logger, drainMs: number, beforeClose: () => void = () => {}): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) process.exit(130);
    stopping = true;
    beforeClose();
    // shutdown() closes the listeners synchronously, so once this line is out, nothing new gets in.
    const done = hub.shutdown(drainMs);
    say(`\n${signal}: listeners closed, draining for up to ${drainMs} ms…`);
    void done.finally(() => log.flush(() => process.exit(0)));
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

export async function runScenario(file: string | undefined, f: RunFlags): Promise<void> {
  // A worker of `--workers N`: the primary started it with its configuration; it logs nothing itself.
  const worker = process.env[WORKER_ENV];
  if (cluster.isWorker && worker) return runWorker(JSON.parse(worker) as WorkerConfig);
  const pretty = wantsPretty(f.logFormat) ? await prettyStream() : undefined;
  const log = createLogger({ level: f.logLevel, format: f.logFormat, pretty });
  const bus = new EventBus();
  attachLogSink(bus, log);
  try {
    const overrides = {
      port: f.port,
      adminPort: f.adminPort,
      host: f.host,
      adminHost: f.adminHost,
      maxConnections: f.maxConnections,
      noAdmin: !f.admin,
    };
    const scenarioFile = file ?? bundledScenario('default.yaml');
    const hub = await startServing({
      scenarioFile,
      workers: f.workers,
      certsDir: f.certs,
      bus,
      log,
      overrides,
      maxScenarioBytes: f.maxScenarioBytes,
      reloadDirs: f.reloadDir,
    });
    guardProcess(bus);
    onSignals(hub, log, f.drainMs, onReload(hub, scenarioFile, f.watch));
    announce(hub);
  } catch (e) {
    process.exitCode = reportError(e);
  }
}

export function registerRunCommand(program: Command): void {
  program
    .command('run')
    .description('start the emulated IoT Hub / DPS endpoints of a scenario')
    .argument('[scenario]', 'scenario file (default: the bundled scenarios/default.yaml)')
    .option('--port <n>', 'listen port for endpoints without their own (0 = any free port)', parsePort)
    .option('--admin-port <n>', 'admin API port (0 = any free port)', parsePort)
    .option('--host <addr>', 'listen address for endpoints without their own')
    .option(
      '--admin-host <addr>',
      'admin API address (default 127.0.0.1; anything else is reachable from other machines: a warning is printed)',
    )
    .option(
      '--max-connections <n>',
      'open connections over all listeners at most; more are closed with HUBTLS_CONN_LIMIT (0 = no limit)',
      parseCount,
    )
    .option(
      '--drain-ms <n>',
      'on SIGTERM/SIGINT, how long handshakes in flight may take before sessions are closed',
      parseCount,
      5000,
    )
    .option(
      '--workers <n>',
      'serve with N worker processes (auto: one per core); this process keeps the scenario, timeline, devices and admin API',
      parseWorkers,
    )
    .option('--no-admin', 'do not start the admin API')
    .option('--no-watch', 'do not reload the scenario when its file changes (SIGHUP still reloads)')
    .option(
      '--reload-dir <dir>',
      "another folder whose .yaml/.yml files POST /scenario/reload may load (repeatable; the scenario's own folder always is)",
      (dir: string, dirs: string[]) => [...dirs, dir],
      [] as string[],
    )
    .option(...maxScenarioBytesOption)
    .option(...certsDirOption)
    .option(
      '--log-level <level>',
      'pino level: trace, debug, info, warn, error',
      process.env.HUBTLS_LOG_LEVEL ?? 'info',
    )
    .addOption(
      new Option(
        '--log-format <format>',
        'events as JSON lines, or pretty lines for a person (auto: pretty on a terminal)',
      )
        .choices(LOG_FORMATS)
        .env('HUBTLS_LOG_FORMAT')
        .default('auto'),
    )
    .action((file: string | undefined, flags: RunFlags) => runScenario(file, flags));
}

function parseWorkers(value: string): number {
  if (value === 'auto') return os.availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 256)
    throw new InvalidArgumentError(`"${value}" is not auto or a whole number from 1 to 256`);
  return n;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`"${value}" is not a whole number ≥ 0`);
  return n;
}
