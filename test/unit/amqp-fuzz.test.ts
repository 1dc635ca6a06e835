/**
 * Robustness of `after: amqp` without TLS: the adapter (rhea included) on an in-memory stream. A real
 * rhea client's session (SASL-less header, open, begin, $cbs put-token, a telemetry link and
 * message) is recorded, then mutated and truncated byte streams are fed to fresh connections. The
 * process never throws (tap would fail), every connection ends with a `disconnect` event, and a real
 * client still gets its token and telemetry through afterwards.
 */
import t from 'tap';
import { Duplex, PassThrough } from 'node:stream';
import rhea, { type Connection, type EventContext, type Message } from 'rhea';
import { serveAmqp } from '../../src/after/amqp/serve.js';
import { EventBus } from '../../src/events/bus.js';
import type { SessionEvent } from '../../src/events/types.js';
import type { SessionContext } from '../../src/after/types.js';
import { DeviceRegistry } from '../../src/core/registry.js';
import { compileDevices } from '../../src/core/compile.js';
import { signSas } from '../../src/core/sas.js';
import { randomKey } from '../helpers/devices.js';
import { seededRandom } from '../../src/util/prng.js';

const COUNT = Number(process.env.HUBTLS_AMQP_FUZZ_COUNT ?? 400);
const HUB = 'myhub.azure-devices.net';
const KEY = randomKey();

const int = (r: () => number, n: number) => Math.floor(r() * n);

const MUTATORS: Array<(b: Buffer, r: () => number) => Buffer> = [
  (b, r) => {
    const c = Buffer.from(b);
    for (let k = 1 + int(r, 8); k > 0; k--) c[int(r, c.length)] = int(r, 256);
    return c;
  },
  (b, r) => b.subarray(0, int(r, b.length)),
  (b, r) => {
    const at = int(r, b.length);
    return Buffer.concat([
      b.subarray(0, at),
      Buffer.from(Array.from({ length: 1 + int(r, 32) }, () => int(r, 256))),
      b.subarray(at),
    ]);
  },
  (b, r) => {
    const from = int(r, b.length);
    const to = from + int(r, b.length - from);
    return Buffer.concat([b.subarray(0, to), b.subarray(from, to), b.subarray(to)]);
  },
];

/** Two ends of an in-memory stream; `wire` records what the client end wrote. */
function pair(wire?: Buffer[]): [Duplex, Duplex] {
  const toServer = new PassThrough();
  const toClient = new PassThrough();
  if (wire) toServer.on('data', (b: Buffer) => wire.push(b));
  return [
    Duplex.from({ readable: toServer, writable: toClient }),
    Duplex.from({ readable: toClient, writable: toServer }),
  ];
}

function context(devices: DeviceRegistry, bus: EventBus, stream: Duplex, conn: number): SessionContext {
  return {
    conn,
    peer: 'fuzz',
    endpoint: { name: 'hub', kind: 'iothub', hostnames: [HUB], after: 'amqp', afterOptions: {} },
    established: { stream, version: 'TLSv1.2', suite: 'x', keyType: 'rsa' },
    bus,
    now: () => new Date(),
    devices,
    handshakeOutcome: 'HUBTLS_ACCEPTED',
    socket: {
      bytesRead: 0,
      closedByHub: false,
      endedByCloseNotify: () => false,
      resetAfterFlush: () => stream.destroy(),
    },
  };
}

/** A real rhea client over the in-memory client end: put-token, then one telemetry message. */
async function goodSession(client: Duplex): Promise<Connection> {
  const container = rhea.create_container();
  container.on('error', () => {});
  const conn = container.connect({
    reconnect: false,
    connection_details: () => ({
      port: 0,
      host: 'mem',
      connect: (_p: number, _h: string, _o: unknown, cb: () => void) => (process.nextTick(cb), client),
    }),
  } as never);
  for (const e of ['connection_error', 'disconnected', 'error', 'sender_error', 'receiver_error'])
    conn.on(e as never, () => {});
  const replies = conn.open_receiver({ source: { address: '$cbs' } });
  const cbs = conn.open_sender({ target: { address: '$cbs' } });
  await new Promise((r) => cbs.once('sendable', r));
  const status = new Promise((r) =>
    replies.once('message', (c: EventContext) => r(c.message?.application_properties?.['status-code'])),
  );
  cbs.send({
    message_id: 'p1',
    reply_to: 'cbs',
    application_properties: {
      operation: 'put-token',
      type: 'servicebus.windows.net:sastoken',
      name: `${HUB}/devices/d1`,
    },
    body: signSas(`${HUB}/devices/d1`, KEY, Math.floor(Date.now() / 1000) + 3600),
  } as Message);
  if ((await status) !== 200) throw new Error('put-token refused');
  const d2c = conn.open_sender({ target: { address: '/devices/d1/messages/events' } });
  await new Promise((r) => d2c.once('sendable', r));
  d2c.send({ body: 'hello', application_properties: { n: 1 } } as Message);
  await new Promise((r) => d2c.once('accepted', r));
  return conn;
}

t.test(`${COUNT} mutated AMQP sessions: no throw, every connection ends, a good client still works`, async (t) => {
  const config = compileDevices(
    { deviceCAs: [], devices: [{ id: 'd1', auth: 'sas', primaryKey: KEY }], endpoints: [] },
    '.',
  );
  const devices = new DeviceRegistry(config, () => new Date());
  const bus = new EventBus();
  const events: SessionEvent[] = [];
  bus.subscribe((e) => e.type === 'session' && events.push(e));

  const wire: Buffer[] = [];
  const [server, client] = pair(wire);
  serveAmqp(context(devices, bus, server, 0), server, 'amqp');
  (await goodSession(client)).close();
  const recorded = Buffer.concat(wire);
  t.ok(recorded.length > 200, `recorded ${recorded.length} bytes of a real session`);

  const r = seededRandom(15);
  for (let i = 1; i <= COUNT; i++) {
    const [s, c] = pair();
    const ended = new Promise<void>((resolve) => s.once('close', () => resolve()));
    serveAmqp(context(devices, bus, s, i), s, 'amqp');
    c.on('data', () => {});
    c.on('error', () => {});
    let bytes: Buffer = recorded;
    for (let k = 1 + int(r, 3); k > 0; k--) bytes = MUTATORS[int(r, MUTATORS.length)]!(bytes, r);
    c.write(bytes);
    c.end();
    await ended;
  }
  const disconnects = new Set(events.filter((e) => e.action === 'disconnect').map((e) => e.conn));
  t.equal(disconnects.size, COUNT + 1, 'every connection ended with a disconnect event');
  t.ok(
    events.some((e) => e.action === 'protocol-error'),
    'malformed input was reported',
  );

  const [s2, c2] = pair();
  serveAmqp(context(devices, bus, s2, COUNT + 1), s2, 'amqp');
  const before = devices.telemetry('d1').length;
  (await goodSession(c2)).close();
  t.equal(devices.telemetry('d1').length, before + 1, 'a good client still gets its telemetry through');
});
