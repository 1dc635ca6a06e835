/**
 * The connection flow without sockets: events in, commands out. Every path of a connection —
 * accept, refuse, limits, faults, engine failures, timeouts, shutdown — and "exactly one report".
 */
import t from 'tap';
import { PassThrough } from 'node:stream';
import { ConnectionFlow, type FlowCommand, type FlowDeps } from '../../src/serve/flow.js';
import { ContextCache } from '../../src/tls/contexts.js';
import type { ChainMaterial } from '../../src/pki/types.js';
import { HandshakeError, type Engine, type Established } from '../../src/tls/engines/types.js';
import { HelloReadError, type RawHello } from '../../src/tls/hello-reader.js';
import type { ConnectionFaults } from '../../src/faults/connection-faults.js';
import { endpoint, hello, state } from '../helpers/hello.js';

const GCM = 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256';
const CHAIN: ChainMaterial = {
  chainId: 'g2',
  certPem: '',
  keyPem: '',
  keyType: 'rsa',
  leafSha256: 'ab'.repeat(32),
  rootName: 'CN=DigiCert Global Root G2',
};
const RAW: RawHello = { raw: Buffer.alloc(220), message: Buffer.alloc(200), recordVersion: 0x0301 };
const engine = (name: 'openssl' | 'mini'): Engine => ({
  name,
  handshake: () => Promise.reject(new Error('not run in a unit test')),
});

function deps(over: Partial<FlowDeps> = {}, profile = 'iothub-2025'): FlowDeps {
  return {
    policyState: () => state([endpoint(profile)]),
    endpoint: () => ({ maxConnections: 0, clientCert: 'none' }),
    material: () => ({ rsa: CHAIN }),
    admitToEndpoint: () => undefined,
    engines: { openssl: engine('openssl'), mini: engine('mini') },
    contexts: new ContextCache(),
    precheck: true,
    handshakeTimeoutMs: 10000,
    ...over,
  };
}

const types = (cmds: FlowCommand[]) => cmds.map((c) => c.type);
const reportOf = (cmds: FlowCommand[]) =>
  cmds.find((c): c is Extract<FlowCommand, { type: 'report' }> => c.type === 'report')?.verdict;
const established = (): Established => ({
  stream: new PassThrough(),
  version: 'TLSv1.2',
  suite: GCM,
  keyType: 'rsa',
  alpn: false,
});

/** hello + no faults: the commands up to the handshake. */
function toHandshake(flow: ConnectionFlow, suites = [GCM]) {
  const first = flow.handle({ type: 'hello', raw: RAW, hello: hello({ suites, sni: 'x.azure-devices.net' }) });
  return { first, second: flow.handle({ type: 'faults-checked' }) };
}

t.test('accepted: track, faults, handshake with the decided plan, one ACCEPTED report, then the session', async (t) => {
  const flow = new ConnectionFlow(['hub'], deps());
  const { first, second } = toHandshake(flow);
  t.same(types(first), ['track', 'check-faults']);
  t.match(first[0], { endpoint: 'hub' });
  t.match(first[1], { endpoint: 'hub', helloBytes: 220, hello: { sni: 'x.azure-devices.net', suites: [GCM] } });
  t.same(types(second), ['handshake']);
  const hs = second[0] as Extract<FlowCommand, { type: 'handshake' }>;
  t.equal(hs.engine.name, 'openssl');
  t.match(hs.plan, {
    decision: { code: 'HUBTLS_ACCEPTED', suite: GCM, keyType: 'rsa' },
    recordVersion: 0x0301,
    clientCert: 'none',
  });
  const done = flow.handle({ type: 'established', est: established() });
  t.same(types(done), ['report', 'session']);
  t.match(reportOf(done), {
    outcome: 'HUBTLS_ACCEPTED',
    endpoint: 'hub',
    profile: 'iothub-2025',
    engine: 'openssl',
    negotiated: { version: 'TLSv1.2', suite: GCM },
    chain: { id: 'g2', root: 'CN=DigiCert Global Root G2' },
  });
  t.ok(flow.done);
  t.same(types(flow.handle({ type: 'stop' })), ['end'], 'shutdown after the verdict ends the session (close_notify)');
});

t.test('refused: the policy alert, then the report, no handshake', async (t) => {
  const flow = new ConnectionFlow(['hub'], deps());
  const { second } = toHandshake(flow, ['TLS_RSA_WITH_AES_128_CBC_SHA']);
  t.same(types(second), ['alert', 'report']);
  t.match(second[0], { alert: 40, recordVersion: 0x0301 });
  t.match(reportOf(second), { outcome: 'HUBTLS_REFUSED_CIPHER', alertSent: 'handshake_failure' });
});

t.test('pre-check off: the predicted refusal is a note and OpenSSL decides', async (t) => {
  const flow = new ConnectionFlow(['hub'], deps({ precheck: false }));
  const { second } = toHandshake(flow, ['TLS_RSA_WITH_AES_128_CBC_SHA']);
  t.same(types(second), ['handshake']);
  t.match((second[0] as Extract<FlowCommand, { type: 'handshake' }>).plan.decision, {
    engine: 'openssl',
    chain: '',
    notes: [/pre-check off; the policy predicted/],
  });
});

t.test('an endpoint at its limit: closed and reported, never tracked', async (t) => {
  const flow = new ConnectionFlow(
    ['hub'],
    deps({ admitToEndpoint: () => 'connection limit of endpoint hub reached: 1 open connections' }),
  );
  const cmds = flow.handle({ type: 'hello', raw: RAW, hello: hello({ suites: [GCM] }) });
  t.same(types(cmds), ['destroy', 'report']);
  t.match(reportOf(cmds), { outcome: 'HUBTLS_CONN_LIMIT', endpoint: 'hub', reason: /limit of endpoint hub/ });
});

t.test('a fault that takes over the connection ends it with its story', async (t) => {
  const flow = new ConnectionFlow(['hub'], deps());
  flow.handle({ type: 'hello', raw: RAW, hello: hello({ suites: [GCM] }) });
  const shaped = {
    verdict: (v: object) => ({ ...v, outcome: 'HUBTLS_FAULT_INJECTED', faults: [{ id: 'f1' }] }),
  } as unknown as ConnectionFaults;
  const cmds = flow.handle({
    type: 'faults-checked',
    faults: shaped,
    takeover: { ended: 'reset after the ClientHello' },
  });
  t.same(types(cmds), ['report']);
  t.match(reportOf(cmds), {
    outcome: 'HUBTLS_FAULT_INJECTED',
    reason: 'reset after the ClientHello',
    faults: [{ id: 'f1' }],
  });
});

t.test('engine failures: the client rejecting our chain, or closing', async (t) => {
  const reject = new ConnectionFlow(['hub'], deps());
  toHandshake(reject);
  const cmds = reject.handle({
    type: 'engine-failed',
    error: new HandshakeError({ kind: 'peer-alert', alertReceived: 48, message: 'alert' }),
  });
  t.same(types(cmds), ['report', 'destroy']);
  t.match(reportOf(cmds), {
    outcome: 'HUBTLS_CLIENT_REJECTED_CHAIN',
    alertReceived: 'unknown_ca',
    reason: /chain g2 \(root CN=DigiCert Global Root G2\)/,
  });
  const closed = new ConnectionFlow(['hub'], deps());
  toHandshake(closed);
  t.match(
    reportOf(
      closed.handle({ type: 'engine-failed', error: new HandshakeError({ kind: 'peer-closed', message: 'eof' }) }),
    ),
    { outcome: 'HUBTLS_CLIENT_CLOSED' },
  );
});

t.test('timeouts: during the handshake, before the hello, and at shutdown', async (t) => {
  const hs = new ConnectionFlow(['hub'], deps({ handshakeTimeoutMs: 1234 }));
  toHandshake(hs);
  t.same(types(hs.handle({ type: 'timeout' })), ['destroy']);
  t.match(reportOf(hs.handle({ type: 'engine-failed', error: new Error('socket destroyed') })), {
    outcome: 'HUBTLS_HANDSHAKE_TIMEOUT',
    reason: 'handshake did not finish within 1234 ms',
  });
  const early = new ConnectionFlow(['hub'], deps({ handshakeTimeoutMs: 50 }));
  early.handle({ type: 'timeout' });
  t.match(reportOf(early.handle({ type: 'hello-failed', error: new Error('destroyed') })), {
    outcome: 'HUBTLS_HELLO_TIMEOUT',
    reason: 'no complete ClientHello within 50 ms',
  });
  const stopping = new ConnectionFlow(['hub'], deps());
  t.same(types(stopping.handle({ type: 'stop' })), ['destroy']);
  t.match(reportOf(stopping.handle({ type: 'hello-failed', error: new Error('destroyed') })), {
    reason: /before the hub is shutting down/,
  });
});

t.test('a broken ClientHello: the alert it deserves, never a crash', async (t) => {
  const over = new ConnectionFlow(['hub'], deps());
  const cmds = over.handle({
    type: 'hello-failed',
    error: new HelloReadError('record-overflow', 'record of 20000 bytes', Buffer.alloc(0)),
  });
  t.same(types(cmds), ['alert', 'report']);
  t.match(cmds[0], { alert: 22 });
  t.match(reportOf(cmds), { outcome: 'HUBTLS_MALFORMED_HELLO', alertSent: 'record_overflow' });
  const notTls = new ConnectionFlow(['hub'], deps());
  t.same(
    types(
      notTls.handle({ type: 'hello-failed', error: new HelloReadError('not-tls', 'GET / HTTP/1.1', Buffer.alloc(0)) }),
    ),
    ['destroy', 'report'],
  );
});

t.test('exactly one report per connection', async (t) => {
  const flow = new ConnectionFlow(['hub'], deps());
  toHandshake(flow);
  flow.handle({ type: 'established', est: established() });
  const again = flow.handle({
    type: 'engine-failed',
    error: new HandshakeError({ kind: 'peer-alert', alertReceived: 48, message: 'late' }),
  });
  t.equal(reportOf(again), undefined, 'a second verdict is never published');
});
