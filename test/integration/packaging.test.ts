/**
 * Issue 9 packaging: the Dockerfile, docker-compose.yml and the example device hang together
 * (parsed and cross-checked; `docker compose config` too where a compose CLI exists: this machine
 * has no Docker engine), and `npm pack` yields a package whose `hubtls` bin runs from any folder.
 */
import t from 'tap';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { SHARED_DIR } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession } from '../helpers/devices.js';
import { hubClient, Message } from '../helpers/azure-sdk.js';

interface Service {
  build?: string | { context: string };
  entrypoint?: string[];
  volumes?: string[];
  ports?: string[];
  networks?: Record<string, { aliases?: string[] }> | string[];
  depends_on?: Record<string, { condition: string }>;
  environment?: Record<string, string>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
  networks: Record<string, unknown>;
};
const context = (s: Service) => (typeof s.build === 'string' ? s.build : s.build!.context);
const mounts = (s: Service) => new Map((s.volumes ?? []).map((v) => [v.split(':')[0]!, v.split(':')[1]!]));

/** The scenario file the hubtls service runs (its path in the image mapped back to the repo). */
function composeScenario(): {
  file: string;
  doc: { endpoints: Array<{ hostnames: string[] }>; devices?: Array<{ id: string }> };
} {
  const run = / run .*?(\S+\.ya?ml)\b/.exec(compose.services.hubtls!.entrypoint!.join(' '))?.[1];
  const file = run ? run.replace(/^\/app\//, '') : 'scenarios/default.yaml';
  return { file, doc: parse(readFileSync(file, 'utf8')) as ReturnType<typeof composeScenario>['doc'] };
}

/** The device service's connection string as its fields. */
function connectionString(): Record<string, string | undefined> {
  const text = compose.services.device!.environment!.DEVICE_CONNECTION_STRING!;
  return Object.fromEntries(text.split(';').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
}

/** Dockerfile instructions of the last stage, continuation lines joined. */
function finalStage(file: string): string[] {
  const lines = readFileSync(file, 'utf8')
    .replace(/\\\n\s*/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const from = lines.map((l, i) => (l.startsWith('FROM ') ? i : -1)).filter((i) => i >= 0);
  t.ok(
    lines.filter((l) => l.startsWith('FROM ')).every((l) => /^FROM node:20-slim\b/.test(l)),
    `${file}: every stage is node:20-slim`,
  );
  return lines.slice(from.at(-1));
}

t.test('Dockerfile: small, non-root, runs the bin npm builds', async (t) => {
  const stage = finalStage('Dockerfile');
  const user = stage.filter((l) => l.startsWith('USER ')).at(-1);
  t.ok(user && !/^USER (root|0)\b/.test(user), `runs as ${user}`);
  t.notOk(
    stage.some((l) => /^COPY .*node_modules/.test(l)),
    'no node_modules in the runtime image (the bundle is self-contained)',
  );
  const bin = (JSON.parse(readFileSync('package.json', 'utf8')) as { bin: { hubtls: string } }).bin.hubtls;
  t.match(
    stage.find((l) => l.startsWith('ENTRYPOINT')),
    new RegExp(`/app/${bin.replace(/\./g, '\\.')}`),
    'ENTRYPOINT runs package.json bin',
  );
  for (const l of readFileSync('Dockerfile', 'utf8')
    .split('\n')
    .filter((x) => /^COPY (?!--from)/.test(x))) {
    for (const src of l.split(/\s+/).slice(1, -1)) t.ok(existsSync(src), `COPY source ${src} exists`);
  }
  const ignored = readFileSync('.dockerignore', 'utf8').split('\n');
  t.ok(
    ['node_modules', 'certs', 'dist'].every((x) => ignored.includes(x)),
    '.dockerignore keeps node_modules, dist and certs out of the context',
  );
});

t.test('docker-compose.yml: hubtls and the device on one network, Azure names resolve to hubtls', async (t) => {
  const { hubtls, device } = compose.services;
  t.ok(hubtls && device, 'services hubtls and device');
  for (const s of [hubtls!, device!])
    t.ok(existsSync(path.join(context(s), 'Dockerfile')), `build context ${context(s)} has a Dockerfile`);
  for (const dep of Object.keys(device!.depends_on ?? {}))
    t.ok(compose.services[dep], `depends_on ${dep} is a service`);
  t.equal(device!.depends_on?.hubtls?.condition, 'service_healthy', 'the device waits for the healthcheck');
  const aliases = (hubtls!.networks as Record<string, { aliases: string[] }>).iot!.aliases;
  t.ok(
    Array.isArray(device!.networks) &&
      (device!.networks as string[]).includes('iot') &&
      compose.networks.iot !== undefined,
    'both on network iot',
  );
  const scenario = composeScenario().doc;
  const patterns = scenario.endpoints
    .flatMap((e) => e.hostnames)
    .map((h) => new RegExp(`^${h.replace(/\./g, '\\.').replace('*', '[^.]+')}$`));
  t.ok(
    aliases.every((a) => patterns.some((p) => p.test(a))),
    `aliases ${aliases.join(', ')} are names the default scenario routes`,
  );
  const hostName = connectionString().HostName;
  t.ok(hostName && aliases.includes(hostName), `the device dials ${hostName}, an alias of hubtls`);
  const exportDir = /certs export --out (\S+)/.exec(hubtls!.entrypoint!.join(' '))?.[1];
  const trustVolume = [...mounts(hubtls!)].find(([, at]) => at === exportDir)?.[0];
  t.ok(trustVolume, `hubtls exports the roots into volume ${trustVolume}`);
  const deviceAt = mounts(device!).get(trustVolume!);
  t.ok(
    deviceAt && device!.environment!.HUBTLS_CA!.startsWith(`${deviceAt}/`),
    `the device reads HUBTLS_CA from that volume (${deviceAt})`,
  );
  t.notOk(
    mounts(device!).has([...mounts(hubtls!)].find(([, at]) => at === '/data/certs')?.[0] ?? ''),
    'the device never mounts the private keys',
  );
  for (const v of [...mounts(hubtls!).keys(), ...mounts(device!).keys()])
    t.ok(v in compose.volumes, `volume ${v} is declared`);
  t.ok(
    (hubtls!.ports ?? []).every((p) => p.startsWith('127.0.0.1:')),
    'published ports bind loopback only',
  );
  const source = readFileSync(path.join(context(device!), 'device.js'), 'utf8');
  for (const name of Object.keys(device!.environment!))
    t.match(source, `process.env.${name}`, `device.js reads ${name}`);
});

t.test(
  'the device the compose file connects as is registered, with its key, by the scenario hubtls runs',
  async (t) => {
    const { file, doc } = composeScenario();
    const cs = connectionString();
    t.equal(file, 'scenarios/compose.yaml', 'hubtls runs the compose scenario (the image copies scenarios/ to /app)');
    t.match(
      doc.devices?.find((d) => d.id === cs.DeviceId),
      { auth: 'sas', primaryKey: cs.SharedAccessKey },
      `${file} registers ${cs.DeviceId} with the connection string's key`,
    );
  },
);

t.test('the compose demo ends with telemetry recorded: the SDK, the compose connection string', async (t) => {
  const { file } = composeScenario();
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, file)]);
  const cs = connectionString();
  // As the device container does, but through the hub's "localhost" name instead of the network alias.
  const client = await hubClient({
    connectionString: `${compose.services.device!.environment!.DEVICE_CONNECTION_STRING};GatewayHostName=localhost:${th.port}`,
    ca: trust.g2,
  });
  t.teardown(() => client.close());
  await client.open();
  await client.sendEvent(new Message(JSON.stringify({ temperature: 21.5, from: 'hubtls example device' })));
  await nextSession(th, (e) => e.action === 'telemetry' && e.deviceId === cs.DeviceId);
  t.same(
    th.hub.runtime.devices.telemetry(cs.DeviceId!).map((m) => m.body),
    ['{"temperature":21.5,"from":"hubtls example device"}'],
    'hubtls recorded the message',
  );
});

t.test('docker compose config accepts the file', async (t) => {
  // compose v2 (a docker CLI plugin) when present, else docker-compose 1.x (Debian, installed by .ci/run).
  const v2 = spawnSync('docker', ['compose', 'version'], { stdio: 'ignore' }).status === 0;
  if (!v2 && !needTool(t, 'docker-compose', 'docker-compose')) return;
  const [cmd, ...sub] = v2 ? ['docker', 'compose'] : ['docker-compose'];
  const r = spawnSync(cmd!, [...sub, '-f', 'docker-compose.yml', 'config', '-q'], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
});

t.test('the device image builds from what its context holds', async (t) => {
  const ctx = context(compose.services.device!);
  const stage = finalStage(path.join(ctx, 'Dockerfile'));
  t.ok(
    stage.some((l) => /^USER (?!root\b|0\b)\w+/.test(l)),
    'the device runs as a non-root user',
  );
  for (const l of stage.filter((x) => x.startsWith('COPY '))) {
    for (const src of l.split(/\s+/).slice(1, -1))
      t.ok(existsSync(path.join(ctx, src)), `COPY source ${src} exists in ${ctx}`);
  }
});

t.test('npm pack: an installable package whose hubtls bin runs anywhere', async (t) => {
  t.ok(existsSync('dist/bundle/hubtls.mjs'), 'the bundle is built (npm run build)');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-pack-'));
  const [info] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { encoding: 'utf8' }),
  ) as Array<{ filename: string; files: Array<{ path: string }> }>;
  const files = info!.files.map((f) => f.path);
  for (const f of [
    'dist/bundle/hubtls.mjs',
    'dist/bundle/dashboard/index.html',
    'scenarios/default.yaml',
    'README.md',
    'package.json',
  ])
    t.ok(files.includes(f), `packs ${f}`);
  t.notOk(
    files.some((f) => /^(test|src|bench|certs|node_modules)\//.test(f)),
    'no tests, sources, benches, certificates or node_modules',
  );
  writeFileSync(path.join(dir, 'package.json'), '{"name":"consumer","private":true}');
  execFileSync(
    'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', path.join(dir, info!.filename)],
    { cwd: dir, stdio: 'ignore' },
  );
  const profiles = execFileSync('npx', ['--no-install', 'hubtls', 'profiles'], { cwd: dir, encoding: 'utf8' });
  t.match(profiles, /iothub-2025/, '`npx hubtls profiles` runs in another folder');
  const check = spawnSync(
    'npx',
    ['--no-install', 'hubtls', 'check', path.join(dir, 'node_modules/hubtls/scenarios/default.yaml')],
    { cwd: dir, encoding: 'utf8' },
  );
  t.equal(check.status, 0, `the packaged default scenario validates: ${check.stderr}`);
  // No scenario argument: the installed package's own default scenario is found from here.
  const bin = path.join(dir, 'node_modules/.bin/hubtls');
  const child = spawn(bin, ['run', '--port', '0', '--no-admin', '--certs', SHARED_DIR], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const exited = once(child, 'close');
  await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('"event":"ready"') && resolve()));
  t.match(out, /"scenario":"default"/, '`hubtls run` in another folder starts the bundled default scenario');
  child.kill('SIGTERM');
  t.same(await exited, [0, null], 'and stops with exit 0 on SIGTERM');
});
