/**
 * The client side of the benches, in its own process (argv[2] is the job as JSON), talking to the
 * runner over IPC. Jobs:
 * - rate: `concurrency` loops of connect → full TLS 1.2 handshake → close for `durationMs`
 *   (optionally resuming a ticket), reporting handshakes per second after `warmupMs`;
 * - stream: `connections` TLS connections each send `bytes` (64 KiB writes, honouring
 *   back-pressure) and wait for the upstream's one-byte answer; reports MB/s over all of them;
 * - idle: open `count` TLS connections, report 'established', then on {cmd:'hold'} send an MQTT
 *   PINGREQ from each every `keepaliveMs` for `holdMs`, report 'held', and close on {cmd:'close'}.
 * - storm: connect `count` MQTT devices (SAS, bench/lib/mqtt-fleet.ts), report 'connected'; on
 *   {cmd:'storm'} arm reconnection and report 'armed'; when the hub has dropped them and every one
 *   has CONNACK 0 again, report 'back'; close on {cmd:'close'}.
 */
import tls from 'node:tls';
import { Fleet, type FleetJob } from './lib/mqtt-fleet.js';

interface TlsJob {
  port: number;
  servername: string;
  ciphers: string;
}
interface RateJob extends TlsJob {
  kind: 'rate';
  concurrency: number;
  durationMs: number;
  warmupMs: number;
  resume: boolean;
}
interface IdleJob extends TlsJob {
  kind: 'idle';
  count: number;
  concurrency: number;
  keepaliveMs: number;
}
interface StreamJob extends TlsJob {
  kind: 'stream';
  connections: number;
  /** Bytes each connection sends; the upstream answers one byte once it has them all. */
  bytes: number;
}
interface StormJob extends FleetJob {
  kind: 'storm';
}
type Job = RateJob | IdleJob | StreamJob | StormJob;

const PINGREQ = Buffer.from([0xc0, 0x00]);
const send = (m: object) => process.send!(m);

function connect(job: TlsJob, session?: Buffer): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      port: job.port,
      host: '127.0.0.1',
      servername: job.servername,
      ciphers: job.ciphers,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
      session,
    });
    s.once('secureConnect', () => (s.off('error', reject), s.on('error', () => {}), resolve(s)));
    s.once('error', reject);
  });
}

/** The first session ticket a server sends (TLS 1.2 sends it within the handshake). */
async function ticket(job: TlsJob): Promise<Buffer | undefined> {
  const s = await connect(job);
  const session = await new Promise<Buffer | undefined>((resolve) => {
    s.once('session', resolve);
    setTimeout(() => resolve(s.getSession()), 200);
  });
  s.destroy();
  return session;
}

async function rate(job: RateJob): Promise<void> {
  const session = job.resume ? await ticket(job) : undefined;
  const start = performance.now();
  const measureFrom = start + job.warmupMs;
  const end = measureFrom + job.durationMs;
  // The runner may read the server's CPU from here (`--steady`): the window alone, warm-up excluded.
  setTimeout(() => send({ type: 'warm' }), job.warmupMs);
  let done = 0;
  let reused = 0;
  let errors = 0;
  const loop = async () => {
    while (performance.now() < end) {
      try {
        const s = await connect(job, session);
        if (performance.now() >= measureFrom) {
          done++;
          reused += s.isSessionReused() ? 1 : 0;
        }
        // A resumed TLS 1.2 handshake ends with the client's Finished, which secureConnect does not
        // wait for: destroy() here dropped it, and neither server ever finished its side (hubtls
        // logged each as HUBTLS_CLIENT_CLOSED). end() sends it, then close_notify. A full handshake
        // is finished on both sides at secureConnect; its client drops the connection silently.
        if (job.resume) s.end();
        else s.destroy();
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.concurrency }, loop));
  const result = {
    type: 'result',
    handshakes: done,
    seconds: job.durationMs / 1000,
    rate: done / (job.durationMs / 1000),
    reused,
    errors,
  };
  process.send!(result, () => process.exit(0));
}

async function openAll(job: IdleJob): Promise<{ sockets: tls.TLSSocket[]; errors: number }> {
  const sockets: tls.TLSSocket[] = [];
  let errors = 0;
  let next = 0;
  const worker = async () => {
    while (next++ < job.count)
      await connect(job).then(
        (s) => void sockets.push(s),
        () => void errors++,
      );
  };
  await Promise.all(Array.from({ length: job.concurrency }, worker));
  return { sockets, errors };
}

/** Every socket pings once per keepalive period, spread evenly over it, until stopped. */
function keepalive(sockets: tls.TLSSocket[], periodMs: number): () => number {
  let pings = 0;
  const step = 50;
  const perStep = Math.max(1, Math.ceil((sockets.length * step) / periodMs));
  let i = 0;
  const timer = setInterval(() => {
    for (let k = 0; k < perStep; k++, i = (i + 1) % sockets.length) {
      if (sockets[i]!.destroyed) continue;
      sockets[i]!.write(PINGREQ);
      pings++;
    }
  }, step);
  return () => (clearInterval(timer), pings);
}

async function idle(job: IdleJob): Promise<void> {
  const t0 = performance.now();
  const { sockets, errors } = await openAll(job);
  send({ type: 'established', established: sockets.length, errors, seconds: (performance.now() - t0) / 1000 });
  let stop: (() => number) | undefined;
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'hold') stop = keepalive(sockets, job.keepaliveMs);
    if (m.cmd === 'report')
      send({ type: 'held', pings: stop?.() ?? 0, open: sockets.filter((s) => !s.destroyed).length });
    if (m.cmd === 'close') {
      for (const s of sockets) s.destroy();
      process.exit(0);
    }
  });
}

/** Sends `bytes` on one connection and resolves when the answer came back through the pipe. */
async function streamOne(job: StreamJob): Promise<void> {
  const s = await connect(job);
  const chunk = Buffer.alloc(65536, 0x5a);
  const answered = new Promise<void>((resolve, reject) => {
    s.once('data', () => resolve());
    s.once('close', () => reject(new Error('closed before the upstream answered')));
  });
  for (let sent = 0; sent < job.bytes; sent += chunk.length) {
    if (!s.write(sent + chunk.length <= job.bytes ? chunk : chunk.subarray(0, job.bytes - sent)))
      await new Promise((r) => s.once('drain', r));
  }
  await answered;
  s.destroy();
}

async function stream(job: StreamJob): Promise<void> {
  const t0 = performance.now();
  await Promise.all(Array.from({ length: job.connections }, () => streamOne(job)));
  const seconds = (performance.now() - t0) / 1000;
  const result = { type: 'result', seconds, mbPerSecond: (job.connections * job.bytes) / 1e6 / seconds };
  process.send!(result, () => process.exit(0));
}

async function storm(job: StormJob): Promise<void> {
  const fleet = new Fleet(job);
  const t0 = performance.now();
  await fleet.connectAll();
  send({ type: 'connected', connected: fleet.open, errors: fleet.errors, seconds: (performance.now() - t0) / 1000 });
  process.on('message', (m: { cmd?: string }) => {
    if (m.cmd === 'storm') {
      const errorsBefore = fleet.errors;
      void fleet
        .storm()
        .then((seconds) => send({ type: 'back', seconds, back: fleet.open, retries: fleet.errors - errorsBefore }));
      send({ type: 'armed' });
    }
    if (m.cmd === 'close') {
      fleet.closeAll();
      process.exit(0);
    }
  });
}

const job = JSON.parse(process.argv[2]!) as Job;
if (job.kind === 'rate') await rate(job);
else if (job.kind === 'stream') await stream(job);
else if (job.kind === 'storm') await storm(job);
else await idle(job);
