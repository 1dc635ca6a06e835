/**
 * Issue 17 item 2: `--workers N`. A primary (this test process) owns the scenario, the timeline, the
 * device registry and the admin API; two worker processes hold the sockets. Proven with clients
 * nobody on the project wrote: the service SDK (`azure-iothub`: Registry, twins, methods over the
 * REST API), MQTT.js devices, Node TLS clients checking the served chain, and the admin API over HTTP.
 */
import t, { type Test } from 'tap';
import path from 'node:path';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import type mqtt from 'mqtt';
import { startClusterHub, type ClusterHub } from '../../src/cluster/primary.js';
import { EventBus } from '../../src/events/bus.js';
import type { HandshakeEvent, HubEvent } from '../../src/events/types.js';
import { CONN_ID_STRIDE } from '../../src/cluster/worker.js';
import { scenarioFile } from '../helpers/hub.js';
import { SHARED_DIR } from '../helpers/pki.js';
import { exportedTrust, randomKey, type Trust } from '../helpers/devices.js';
import { serviceSdk } from '../helpers/azure-sdk.js';
import { answerMethod, nextMessage, sasMqttDevice } from '../helpers/mqtt-device.js';
import { nodeConnect } from '../helpers/node-tls.js';
import { sClient } from '../helpers/openssl.js';
import { hubtlsToEnd, runCli } from '../helpers/cli.js';

const HUB = 'myhub.azure-devices.net';
const OWNER_KEY = randomKey();
const OWNER = `HostName=${HUB};SharedAccessKeyName=iothubowner;SharedAccessKey=${OWNER_KEY}`;
const TOKEN = 'workers-test-token-0123456789';
/**
 * What a worker runs: src/ under tsx, like this test process. Not the CLI `npm test` compiles for its
 * children: forked from here, workers inherit tsx, and tsx loading that compiled JavaScript gave c8 a
 * second, differently mapped copy of each module (function coverage fell from 98 % to 96 % in a
 * fresh clone). The command-line test below runs the compiled CLI, workers included, without tsx.
 */
const CLI = path.resolve('src/cli/main.ts');

const SCENARIO = {
  name: 'workers',
  admin: { port: 0 },
  policies: [
    {
      name: 'iothubowner',
      primaryKey: OWNER_KEY,
      secondaryKey: randomKey(),
      rights: ['RegistryRead', 'RegistryWrite', 'ServiceConnect', 'DeviceConnect'],
    },
  ],
  endpoints: [
    // SNI localhost reaches the devices' MQTT endpoint; the hub name, the service API (as in service-api.test.ts).
    { name: 'hub', kind: 'iothub', hostnames: ['localhost'], profile: 'iothub-2025', chain: 'g2', after: 'mqtt' },
    {
      name: 'service',
      kind: 'iothub',
      hostnames: ['*.azure-devices.net'],
      profile: 'iothub-2025',
      chain: 'g2',
      after: 'https',
    },
    // TLS 1.3, for a client whose Finished and close_notify come in one read.
    {
      name: 'preview',
      kind: 'iothub',
      hostnames: ['preview.local'],
      profile: 'iothub-tls13-preview',
      chain: 'g2',
      eccChain: 'ecc-g3',
      after: 'mqtt',
    },
  ],
};

interface Recorder {
  events: HubEvent[];
  next<E extends HubEvent>(pred: (e: HubEvent) => e is E, timeoutMs?: number): Promise<E>;
}

function record(bus: EventBus): Recorder {
  const events: HubEvent[] = [];
  const waiters = new Set<(e: HubEvent) => void>();
  bus.subscribe((e) => (events.push(e), [...waiters].forEach((w) => w(e))));
  return {
    events,
    // A bound for what never comes, not a speed check: a worker forked under tsx on a loaded machine
    // (four test files on two cores, cold caches) took over 20 s to be listening again.
    next: (pred, timeoutMs = 60_000) =>
      new Promise((resolve, reject) => {
        const seen = events.find(pred);
        if (seen) return resolve(seen as never);
        const timer = setTimeout(() => (waiters.delete(w), reject(new Error('no such event in time'))), timeoutMs);
        const w = (e: HubEvent) => pred(e) && (clearTimeout(timer), waiters.delete(w), resolve(e as never));
        waiters.add(w);
      }),
  };
}

const notice =
  (what: string, after = 0) =>
  (e: HubEvent): e is Extract<HubEvent, { type: 'notice' }> =>
    e.type === 'notice' && e.what === what && (e as { seq?: number }).seq === undefined && after >= 0;

/** A scenario beside `file` (reloads read its folder) whose hub names a profile that does not exist. */
async function writeBad(file: string): Promise<string> {
  const bad = path.join(path.dirname(file), 'bad.yaml');
  const doc = structuredClone(SCENARIO);
  doc.endpoints[0]!.profile = 'iothub-2099';
  writeFileSync(bad, stringify(doc));
  return bad;
}

/** Polls a condition every 20 ms until it holds, at most 10 s (a state with no event of its own). */
async function until(cond: () => boolean): Promise<void> {
  for (let waited = 0; !cond(); waited += 20) {
    if (waited > 10_000) throw new Error('condition not met within 10 s');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const slotOf = (conn: number) => conn % CONN_ID_STRIDE;

async function admin(hub: ClusterHub, method: string, url: string, body?: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${hub.admin!.url}${url}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await res.json()) as Record<string, unknown>;
}

/** A device connection that reports its close. */
function closed(c: mqtt.MqttClient): Promise<void> {
  return new Promise((resolve) => c.once('close', () => resolve()));
}

type Registry = ReturnType<typeof serviceSdk>['registry'];

async function deviceOn(hub: ClusterHub, trust: Trust, registry: Registry, id: string) {
  const created = (await registry.create({ deviceId: id })).responseBody as {
    authentication: { symmetricKey: { primaryKey: string } };
  };
  const key = created.authentication.symmetricKey.primaryKey;
  const client = await sasMqttDevice(hub.port('hub'), trust.g2, id, key, 'localhost');
  answerMethod(client, 'ping');
  return { id, client };
}

/**
 * Devices connected at once, then one more at a time until both workers hold some (at most 12):
 * the cluster hands connections round-robin, but strictly alternating traffic (a service request,
 * then a device) can land every device on one worker.
 */
async function devicesOn(hub: ClusterHub, trust: Trust, registry: Registry, slots: () => Set<number>) {
  const out = await Promise.all(Array.from({ length: 6 }, (_, i) => deviceOn(hub, trust, registry, `w-dev-${i}`)));
  while (slots().size < 2 && out.length < 12) out.push(await deviceOn(hub, trust, registry, `w-dev-${out.length}`));
  return out;
}

t.test('--workers 2: one hub core, sockets held by two worker processes', async (t: Test) => {
  const bus = new EventBus();
  const rec = record(bus);
  const trust = await exportedTrust();
  const file = scenarioFile(SCENARIO);
  const hub = await startClusterHub({
    scenarioFile: file,
    certsDir: SHARED_DIR,
    bus,
    overrides: { port: 0, adminPort: 0 },
    adminToken: TOKEN,
    workers: 2,
    workerEntry: CLI,
  });
  let stopped = false;
  t.teardown(() => (stopped ? undefined : hub.close()));
  const handshakes = () => rec.events.filter((e): e is HandshakeEvent => e.type === 'handshake');
  const { registry, client: service } = serviceSdk(OWNER, { ca: trust.g2, port: hub.port('service') });
  /** `n` Node TLS clients at once to the device endpoint: did all verify with `ca`, and which workers served them. */
  const clients = async (n: number, ca: string) => {
    const before = handshakes().length;
    const results = await Promise.all(
      Array.from({ length: n }, () => nodeConnect(hub.port('hub'), { ca, servername: 'localhost' })),
    );
    const slots = [
      ...new Set(
        handshakes()
          .slice(before)
          .map((h) => slotOf(h.conn)),
      ),
    ].sort();
    return { ok: results.every((x) => x.ok), slots };
  };

  t.equal(hub.workers.size, 2, 'two workers');
  t.equal(new Set(hub.workers.pids()).size, 2, 'two processes');
  t.not(hub.workers.pids()[0], process.pid);

  const deviceSlots = () =>
    new Set(
      handshakes()
        .filter((h) => h.endpoint === 'hub')
        .map((h) => slotOf(h.conn)),
    );
  const devices = await devicesOn(hub, trust, registry, deviceSlots);

  await t.test('connections are spread over both workers, with hub-wide connection ids', async (t) => {
    t.same([...deviceSlots()].sort(), [1, 2], 'device handshakes were served by worker 1 and worker 2');
    const ids = handshakes().map((h) => h.conn);
    t.equal(new Set(ids).size, ids.length, 'no connection id twice');
    const listed = (await admin(hub, 'GET', '/handshakes')) as unknown as { handshakes: Array<{ conn: number }> };
    const listedSlots = new Set(listed.handshakes.map((h) => slotOf(h.conn)));
    t.ok(listedSlots.has(1) && listedSlots.has(2), "GET /handshakes shows both workers' connections");
  });

  await t.test('the service SDK reaches every device, whichever worker holds it', async (t) => {
    for (const d of devices) {
      const r = await service.invokeDeviceMethod(d.id, { methodName: 'ping', payload: { n: d.id } });
      t.same((r.result as { payload: unknown }).payload, { ping: { n: d.id } }, `method on ${d.id}`);
    }
    const d = devices[3]!;
    const patch = nextMessage(d.client, /^\$iothub\/twin\/PATCH\/properties\/desired\//);
    const twin = (await registry.getTwin(d.id)).responseBody;
    await new Promise<void>((resolve, reject) =>
      twin.update({ properties: { desired: { interval: 42 } } }, (e) => (e ? reject(e) : resolve())),
    );
    t.match(JSON.parse((await patch).body), { interval: 42 }, 'desired property pushed to the device');
  });

  await t.test('the inferred chain-rejection check sees through the relay', async (t) => {
    // A Node client that drops right after the handshake: no byte, no close_notify.
    await new Promise<void>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port: hub.port('hub'), servername: 'localhost', ca: trust.g2 });
      s.once('secureConnect', () => (s.destroy(), resolve()));
      s.once('error', reject);
    });
    const verdict = await rec.next(
      (e): e is Extract<HubEvent, { type: 'verdict' }> =>
        e.type === 'verdict' && e.outcome === 'HUBTLS_CLIENT_REJECTED_CHAIN',
    );
    t.match(verdict, { inferred: true, handshakeOutcome: 'HUBTLS_ACCEPTED' });
    t.ok([1, 2].includes(slotOf(verdict.conn)), 'judged for a connection a worker held');
    // openssl s_client with TLS 1.3 and no input: its Finished and close_notify come in one read.
    const before = handshakes().length;
    const polite = await sClient(hub.port('preview'), ['-tls1_3', '-servername', 'preview.local']);
    t.equal(polite.protocol, 'TLSv1.3', `s_client finished a TLS 1.3 handshake: ${polite.output.slice(0, 600)}`);
    const conn = (
      await rec.next((e): e is HandshakeEvent => e.type === 'handshake' && handshakes().indexOf(e) >= before)
    ).conn;
    await until(() => hub.runtime.connections.open('preview') === 0);
    t.notOk(
      rec.events.some((e) => e.type === 'verdict' && e.conn === conn),
      'a polite close (close_notify in the same read as the Finished) is not taken for a rejection',
    );
  });

  await t.test('an admin chain switch acts on every worker', async (t) => {
    const r = await admin(hub, 'POST', '/timeline/chain', { endpoint: 'hub', chain: 'baltimore' });
    t.match(r.message, /hub now serves RSA chain baltimore/);
    const six = await clients(6, trust.baltimore);
    t.ok(six.ok, 'six new connections trusting only Baltimore all verify');
    t.same(six.slots, [1, 2], 'served by both workers');
    t.equal(
      rec.events.filter((e) => e.type === 'notice' && e.what === 'chain').length,
      1,
      'one chain notice, from the primary',
    );
  });

  await t.test('a drop reaches the devices of every worker; they reconnect', async (t) => {
    const closes = devices.map((d) => closed(d.client));
    const r = await admin(hub, 'POST', '/timeline/drop', { endpoint: 'hub' });
    // Every device session, and maybe a closing one of the TLS clients above.
    t.ok((r.dropped as number) >= devices.length, `the primary counted every device session (${String(r.dropped)})`);
    await Promise.all(closes);
    t.pass('every device saw its connection dropped');
  });

  await t.test('a worker that dies is restarted and follows the changes made before', async (t) => {
    const victim = hub.workers.pids()[0]!;
    const exit = rec.next(notice('worker-exit'));
    const restarted = rec.next(notice('worker-restarted'));
    process.kill(victim, 'SIGKILL');
    t.match((await exit).msg, /exited \(signal SIGKILL\)/);
    await restarted;
    t.equal(hub.workers.size, 2);
    t.notOk(hub.workers.pids().includes(victim), 'a new process');
    const eight = await clients(8, trust.baltimore);
    t.ok(eight.ok, 'the restarted worker serves Baltimore too (the chain switch replayed)');
    t.same(eight.slots, [1, 2], 'both slots serve again');
  });

  await t.test('a reload acts on every worker', async (t) => {
    // The hub endpoint's definition changes (a host name more), so it starts again from the file: G2.
    const next = structuredClone(SCENARIO);
    next.endpoints[0]!.hostnames = ['localhost', 'devices.local'];
    writeFileSync(file, stringify(next));
    const r = await hub.reload();
    t.ok(r.ok, `reloaded: ${r.error ?? ''}`);
    t.same(r.changed, ['hub']);
    t.equal(rec.events.filter((e) => e.type === 'notice' && e.what === 'reload').length, 1, 'one reload notice');
    const g2 = await clients(8, trust.g2);
    t.ok(g2.ok, 'the changed endpoint serves G2 again');
    t.same(g2.slots, [1, 2], 'by both workers');
    const bad = await writeBad(file);
    const refused = await hub.reload(bad);
    t.notOk(refused.ok, 'an invalid file is refused');
    t.match(refused.error, /profile/);
  });

  await t.test('graceful shutdown stops every worker', async (t) => {
    const pids = hub.workers.pids();
    stopped = true;
    await hub.shutdown(2000);
    t.ok(rec.events.at(-1)?.type === 'notice' && (rec.events.at(-1) as { what: string }).what === 'stopped');
    for (const pid of pids) t.throws(() => process.kill(pid, 0), `worker ${pid} is gone`);
    for (const d of devices) d.client.end(true);
  });
});

t.test('hubtls run --workers 2 from the command line: serves, logs every worker, stops on SIGTERM', async (t) => {
  const bad = await hubtlsToEnd(['run', '--workers', '0']);
  t.equal(bad.code, 2, '--workers 0 is an argument error');
  t.match(bad.stderr, /"0" is not auto or a whole number from 1 to 256/);

  const run = await runCli(['--workers', '2', '--log-format', 'json']);
  t.teardown(() => void run.child.kill('SIGKILL'));
  const trust = await exportedTrust();
  const results = await Promise.all(
    Array.from({ length: 6 }, () => nodeConnect(run.port, { ca: trust.g2, servername: HUB })),
  );
  t.ok(
    results.every((x) => x.ok),
    'six handshakes with the default scenario',
  );
  t.match(
    run.events().find((e) => e.what === 'listening'),
    { msg: /with 2 worker\(s\)/ },
  );
  run.child.kill('SIGTERM');
  t.equal(await run.exited, 0, 'exit code 0');
  const events = run.events();
  t.equal(events.filter((e) => e.event === 'handshake').length, 6, "every worker's handshakes in the one log");
  t.equal(events.at(-1)?.what, 'stopped', 'the stopped event is the last line');
});
