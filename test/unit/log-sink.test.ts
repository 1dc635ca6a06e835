/**
 * The log sink writes one line per event, except that an inferred chain rejection (a client that
 * dropped the connection silently after the handshake, src/after/silent-close.ts) is told once:
 * by its `verdict` line, not again by the session event that says the same (issue 17).
 */
import t from 'tap';
import { Writable } from 'node:stream';
import { EventBus } from '../../src/events/bus.js';
import { createLogger } from '../../src/events/logger.js';
import { attachLogSink } from '../../src/events/log-sink.js';
import type { HandshakeEvent } from '../../src/events/types.js';
import { HelloCache } from '../../src/tls/hello-cache.js';
import { helloView } from '../../src/serve/verdicts.js';
import { captureNodeHello } from '../helpers/capture.js';

function sink() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  const bus = new EventBus();
  attachLogSink(bus, createLogger({ destination }));
  return { bus, lines };
}

const reason = 'client dropped the connection 3 ms after the handshake without sending a byte';
const session = { type: 'session', conn: 7, endpoint: 'hub', peer: '127.0.0.1:1', protocol: 'mqtt' } as const;

t.test('an inferred rejection is one log line (the verdict); other session events are logged', async (t) => {
  const { bus, lines } = sink();
  bus.publish({
    ...session,
    action: 'connect',
    ok: false,
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    reason,
    detail: { inferred: true, msAfterHandshake: 3 },
  });
  bus.publish({
    type: 'verdict',
    conn: 7,
    endpoint: 'hub',
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    handshakeOutcome: 'HUBTLS_ACCEPTED',
    inferred: true,
    reason,
  });
  bus.publish({ ...session, action: 'connect', ok: false, outcome: 'HUBTLS_MTLS_UNAUTHORIZED', reason: 'CONNACK 5' });
  await new Promise((resolve) => setImmediate(resolve));
  t.same(
    lines.map((l) => [l.event, l.outcome]),
    [
      ['verdict', 'HUBTLS_CLIENT_REJECTED_CHAIN'],
      ['session', 'HUBTLS_MTLS_UNAUTHORIZED'],
    ],
  );
  t.match(lines[0], { level: 40, conn: 7, inferred: true, msg: new RegExp(reason) });
});

t.test('the handshake line written straight to the stream says what pino would', async (t) => {
  const { bus, lines } = sink();
  const handshake: HandshakeEvent = {
    type: 'handshake',
    conn: 3,
    listener: '127.0.0.1:8883',
    peer: '127.0.0.1:5000',
    endpoint: 'hub',
    profile: 'iothub-2025',
    outcome: 'HUBTLS_ACCEPTED',
    reason: 'TLS 1.2 "quoted" \\ ECDHE-RSA ✓',
    hello: {
      sni: 'a.azure-devices.net',
      versions: ['TLSv1.2'],
      suites: ['X'],
      groups: [],
      sigalgs: [],
      alpn: [],
      ja3: 'j',
      ja4: 'k',
      bytes: 300,
    },
    negotiated: { version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', alpn: false },
    notes: [],
    durationMs: 1.5,
  };
  bus.publish(handshake);
  const viaPino = sink();
  const { type, ...fields } = handshake;
  createLogger({
    destination: new Writable({
      write(chunk: Buffer, _e, done) {
        viaPino.lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    }),
  }).info({ event: type, ...fields }, `HUBTLS_ACCEPTED 127.0.0.1:5000 → hub: ${handshake.reason}`);
  await new Promise((resolve) => setImmediate(resolve));
  const [direct, pino] = [lines[0]!, viaPino.lines[0]!];
  t.same(Object.keys(direct), Object.keys(pino), 'same fields in the same order');
  t.same({ ...direct, time: 0 }, { ...pino, time: 0 }, 'same values');
  t.match(direct.time, /^\d{4}-\d\d-\d\dT/, 'ISO time, as pino writes it');
});

/** The text pino writes for `e`, without its time (the one field that differs). */
function pinoText(e: HandshakeEvent, msg: string): Promise<string> {
  return new Promise((resolve) => {
    const { type, ...fields } = e;
    createLogger({
      destination: new Writable({
        write(chunk: Buffer, _e, done) {
          resolve(
            chunk
              .toString()
              .trimEnd()
              .replace(/"time":"[^"]*"/, '"time":0'),
          );
          done();
        },
      }),
    }).info({ event: type, ...fields }, msg);
  });
}

t.test('connections of one hello shape: each line says what pino would, with its own bytes', async (t) => {
  // A real Node client's ClientHello through the real per-shape cache (shared frozen arrays), as the hub reads it.
  const raw = await captureNodeHello({ servername: 'dev.azure-devices.net', maxVersion: 'TLSv1.2' });
  const cache = new HelloCache();
  const texts: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const l of chunk.toString().split('\n')) if (l) texts.push(l.replace(/"time":"[^"]*"/, '"time":0'));
      done();
    },
  });
  const bus = new EventBus();
  attachLogSink(bus, createLogger({ destination }));
  const events: HandshakeEvent[] = [];
  for (const bytes of [raw.raw.length, raw.raw.length + 32, 7]) {
    const { hello, shape } = await cache.parse(raw.message, bytes);
    t.ok(shape, 'the hello has a shape');
    const e: HandshakeEvent = {
      type: 'handshake',
      conn: events.length + 1,
      listener: '127.0.0.1:8883',
      peer: '127.0.0.1:5000',
      endpoint: 'hub',
      outcome: 'HUBTLS_ACCEPTED',
      reason: 'ok',
      hello: helloView(hello),
      durationMs: 2,
    };
    events.push(e);
    bus.publish(e);
  }
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(texts.length, 3);
  for (const [i, e] of events.entries()) {
    t.equal(texts[i], await pinoText(e, 'HUBTLS_ACCEPTED 127.0.0.1:5000 → hub: ok'), `line ${i + 1}, byte for byte`);
    t.equal((JSON.parse(texts[i]!) as { hello: { bytes: number } }).hello.bytes, e.hello!.bytes);
  }
  t.ok((events[0]!.hello!.suites as readonly string[]).length > 3, 'a real suite list');
});
