/**
 * Issue 4 robustness proof: 10,000 mutated and truncated ClientHellos against a running listener.
 * Zero crashes (the hub runs in this process: a throw would kill the test), every connection is
 * ended by the server, one event per connection, memory flat, and a real client still connects.
 */
import t, { type Test } from 'tap';
import type { HandshakeEvent } from '../../src/events/types.js';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import { startTestHub, oneEndpoint, type TestHub } from '../helpers/hub.js';
import { captureOpensslHello } from '../helpers/capture.js';
import { sClient } from '../helpers/openssl.js';
import { pool } from '../helpers/pool.js';
import { seededRandom } from '../../src/util/prng.js';

const COUNT = Number(process.env.HUBTLS_FUZZ_COUNT ?? 10_000);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

type Mutator = (b: Buffer, r: () => number) => Buffer;
const int = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATORS: Record<string, Mutator> = {
  flipBytes: (b, r) => {
    const c = Buffer.from(b);
    for (let k = 1 + int(r, 8); k > 0; k--) c[int(r, c.length)] = int(r, 256);
    return c;
  },
  truncate: (b, r) => b.subarray(0, int(r, b.length)),
  recordLength: (b, r) => {
    const c = Buffer.from(b);
    c.writeUInt16BE(int(r, 0x10000), 3);
    return c;
  },
  handshakeLength: (b, r) => {
    const c = Buffer.from(b);
    c.writeUIntBE(int(r, 0x1000000), 6, 3);
    return c;
  },
  innerLength: (b, r) => {
    const c = Buffer.from(b);
    const at = 9 + int(r, c.length - 11);
    c.writeUInt16BE(int(r, 0x10000), at);
    return c;
  },
  insert: (b, r) => {
    const at = int(r, b.length);
    return Buffer.concat([
      b.subarray(0, at),
      Buffer.from(Array.from({ length: 1 + int(r, 40) }, () => int(r, 256))),
      b.subarray(at),
    ]);
  },
  garbage: (_b, r) => Buffer.from(Array.from({ length: int(r, 600) }, () => int(r, 256))),
  tlsGarbage: (_b, r) =>
    Buffer.concat([
      Buffer.from([0x16, 3, int(r, 5)]),
      Buffer.from(Array.from({ length: int(r, 300) }, () => int(r, 256))),
    ]),
  doubled: (b) => Buffer.concat([b, b]),
  empty: () => Buffer.alloc(0),
};
const NAMES = Object.keys(MUTATORS);

function send(port: number, bytes: Buffer, r: () => number): Promise<'closed' | 'hung'> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    const hung = setTimeout(() => (s.destroy(), resolve('hung')), 5000);
    s.on('error', () => {});
    s.on('data', () => {});
    s.on('close', () => (clearTimeout(hung), resolve('closed')));
    s.on('connect', () => {
      const chunk = 1 + int(r, 64);
      for (let i = 0; i < bytes.length; i += chunk) s.write(bytes.subarray(i, i + chunk));
      if (r() < 0.3) s.end(); // some peers half-close, most just wait for the server
    });
  });
}

/**
 * Every connection reported (one handshake event each) and every hub-side socket closed: the bounds
 * are bounds, not sleeps. Before the hub read on after an alert, refused sockets stayed open (paused,
 * their ClientHello buffered) until the 2 s alert timeout, long after their clients had gone.
 */
async function settled(th: TestHub, connections: number): Promise<void> {
  await th.nextHandshake(() => th.handshakes().length >= connections, 30_000);
  await Promise.all(th.hub.listeners.all().map((l) => l.idle()));
}

/**
 * The heap in use after a full collection. tap's async-hook-domain keeps an entry per async resource
 * until its destroy hook runs, and Node runs the destroy hooks of the resources a collection freed
 * in the next check phase (setImmediate): measured before that, the test's own bookkeeping of dead
 * promises and sockets read as several MB of "growth" (2.7–7.8 MB at once, 0.8–1.6 MB one phase later).
 */
async function heapUsed(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}

/** In its own function so the 10,000 events are garbage before the heap is measured. */
function checkEvents(t: Test, events: HandshakeEvent[]): void {
  t.equal(events.length, COUNT, 'one handshake event per connection');
  const byOutcome = events.reduce<Record<string, number>>(
    (acc, e) => ((acc[e.outcome] = (acc[e.outcome] ?? 0) + 1), acc),
    {},
  );
  t.comment(`outcomes: ${JSON.stringify(byOutcome)}`);
  const reasons = events
    .filter((e) => e.outcome === 'HUBTLS_HANDSHAKE_FAILED')
    .reduce<Record<string, number>>((acc, e) => ((acc[e.reason] = (acc[e.reason] ?? 0) + 1), acc), {});
  t.comment(`engine refusals: ${JSON.stringify(reasons)}`);
  t.ok(
    byOutcome.HUBTLS_MALFORMED_HELLO! > 0 && byOutcome.HUBTLS_NOT_TLS! > 0,
    'malformed and non-TLS inputs are classified',
  );
  t.notOk(
    events.some((e) => /internal error/.test(e.reason)),
    'no internal errors',
  );
}

t.test(`${COUNT} mutated ClientHellos`, async (t) => {
  const th = await startTestHub(t, oneEndpoint('iothub-2025'), { handshakeTimeoutMs: 300 });
  const seeds = await Promise.all([
    captureOpensslHello(['-servername', 'myhub.azure-devices.net']),
    captureOpensslHello(['-tls1_2', '-maxfraglen', '512', '-alpn', 'mqtt']),
    captureOpensslHello(['-tls1', '-cipher', 'ALL:@SECLEVEL=0']),
  ]);
  const run = (from: number, n: number) =>
    pool(
      Array.from({ length: n }, (_, i) => from + i),
      100,
      (i) => {
        const r = seededRandom(i);
        const mutator = MUTATORS[NAMES[i % NAMES.length]!]!;
        return send(th.port, mutator(seeds[i % seeds.length]!.raw, r), r);
      },
    );
  // Warm up first (JIT, OpenSSL contexts, pools), so the measurement sees growth, not start-up.
  await run(COUNT, 500);
  await settled(th, 500);
  th.events.length = 0;
  const heapBefore = await heapUsed();
  const outcomes = await run(0, COUNT);
  const hung = outcomes.filter((o) => o === 'hung').length;
  t.equal(hung, 0, 'every connection was ended by the server');
  await settled(th, COUNT);
  checkEvents(t, th.handshakes());
  th.events.length = 0;
  const growthMb = ((await heapUsed()) - heapBefore) / 1e6;
  t.comment(`heap growth after ${COUNT} connections: ${growthMb.toFixed(1)} MB`);
  t.ok(growthMb < 8, `memory flat (heap grew ${growthMb.toFixed(1)} MB)`);
  const ok = await sClient(th.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(ok.handshakeOk, 'a real client still connects afterwards');
});
