/**
 * The event definitions in src/events/: a handshake event as the TLS layer fills it in validates
 * against its TypeBox schema, a wrong outcome does not, and the admin API's serialiser (built from
 * the same schema) keeps every field of it.
 */
import t from 'tap';
import Fastify from 'fastify';
import { FormatRegistry } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parseClientHello } from '../../src/tls/clienthello.js';
import { HandshakeEvent, HelloView, RecentHandshake } from '../../src/events/handshake.js';
import { HubEvent } from '../../src/events/types.js';
import { Handshake } from '../../src/admin/schemas.js';
import { captureOpensslHello } from '../helpers/capture.js';

// TypeBox knows no formats until told; ajv (fastify, the published schemas) knows date-time.
FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

async function realHello(): Promise<HelloView> {
  const args = ['-servername', 'myhub.azure-devices.net', '-maxfraglen', '1024', '-alpn', 'mqtt'];
  const raw = await captureOpensslHello(args);
  const h = await parseClientHello(raw.message, raw.raw.length);
  const { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes } = h;
  return { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes };
}

/** Every field set, as an accepted connection with a client certificate and a fault reports it. */
function fullEvent(hello: HelloView): HandshakeEvent {
  return {
    type: 'handshake',
    conn: 7,
    listener: '127.0.0.1:8883',
    peer: '127.0.0.1:50000',
    endpoint: 'hub',
    profile: 'iothub-2025',
    outcome: 'HUBTLS_FAULT_INJECTED',
    reason: 'the fault acted; then accepted',
    alertSent: 'handshake_failure',
    alertReceived: 'unknown_ca',
    hello,
    negotiated: { version: 'TLSv1.2', suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', alpn: false },
    chain: { id: 'g2', keyType: 'rsa', leafSha256: 'ab'.repeat(32), root: 'CN=DigiCert Global Root G2' },
    engine: 'openssl',
    clientCert: { subject: 'CN=dev-1', sha1: 'cd'.repeat(20), sha256: 'ef'.repeat(32), notAfter: '2030-01-01' },
    mfl: { requested: 1024, mode: 'ignore' },
    notes: ['max_fragment_length 1024 ignored, as Azure does'],
    faults: [{ id: 'hub.stall', fault: 'stall', explanation: 'the server says nothing', detail: 'stalled 3 s' }],
    durationMs: 12.5,
  };
}

t.test('a handshake event with a real ClientHello validates; an unknown outcome does not', async (t) => {
  const event = fullEvent(await realHello());
  t.ok(Value.Check(HandshakeEvent, event), JSON.stringify([...Value.Errors(HandshakeEvent, event)]));
  t.ok(Value.Check(HubEvent, event), 'and as one of the bus events');
  const wrong = { ...event, outcome: 'HUBTLS_NOPE' };
  t.notOk(Value.Check(HandshakeEvent, wrong));
  t.ok(
    [...Value.Errors(HandshakeEvent, wrong)].some((e) => e.path === '/outcome'),
    'the error names the outcome',
  );
  t.notOk(Value.Check(HubEvent, wrong), 'nor is it any other event');
  const sslv3 = { ...event, hello: { ...event.hello, versions: ['SSLv3'] } };
  t.notOk(Value.Check(HandshakeEvent, sslv3), 'nor an unknown version');
});

t.test('the admin API serialises a handshake event without dropping a field', async (t) => {
  const event = { seq: 1, at: '2025-09-01T00:00:00.000Z', ...fullEvent(await realHello()) };
  t.ok(Value.Check(RecentHandshake, event), JSON.stringify([...Value.Errors(RecentHandshake, event)]));
  const app = Fastify();
  t.teardown(() => app.close());
  // A layer may add a field before the schema says so: the API shows it as the log does.
  const wider = { ...event, extra: { kept: true }, hello: { ...event.hello, later: 1 } };
  app.get('/h', { schema: { response: { 200: Handshake } } }, async () => wider);
  const r = await app.inject({ method: 'GET', url: '/h' });
  t.same(r.json(), JSON.parse(JSON.stringify(wider)));
});
