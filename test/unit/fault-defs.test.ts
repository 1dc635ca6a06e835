/**
 * Each fault definition's hooks on an in-memory connection (test/helpers/fault-stub.ts): what it
 * does to the socket, the served chain and the bytes, and what it reports with ctx.act. One test
 * per registered fault; the last test fails when a fault has none (adding a fault: README.md).
 */
import t from 'tap';
import { faultNames } from '../../src/faults/registry.js';
import { ContentType as CONTENT, HandshakeType as HANDSHAKE } from '../../src/tls/wire/constants.js';
import { frameRecord } from '../../src/tls/wire/records.js';
import type { ChainMaterial } from '../../src/pki/types.js';
import { createFault, faultStub, WireSink } from '../helpers/fault-stub.js';

const tested = new Set<string>();
const fault = (name: string, params: Record<string, unknown> = {}, stub = faultStub()) => {
  tested.add(name);
  return { hooks: createFault(name, params, stub), ...stub };
};

const TLS12 = 0x0303;
const message = (type: number, body: Buffer) =>
  Buffer.concat([Buffer.from([type, 0, body.length >> 8, body.length & 0xff]), body]);
const pem = (n: number) => `-----BEGIN CERTIFICATE-----\nMIIB${n}\n-----END CERTIFICATE-----\n`;
const chain = (id: string, certs: number, keyType: 'rsa' | 'ec' = 'rsa'): ChainMaterial => ({
  chainId: id,
  certPem: Array.from({ length: certs }, (_, i) => pem(i)).join(''),
  keyPem: 'key',
  keyType,
  leafSha256: `${id}-leaf`,
  rootName: 'root',
});
const closed = (socket: NodeJS.EventEmitter) => new Promise((resolve) => socket.once('close', resolve));

t.test("reset-after-hello: RST right after the ClientHello, and the connection is the fault's", async (t) => {
  const { hooks, socket, acts } = fault('reset-after-hello');
  t.same(await hooks.hello!(), { ended: 'connection reset by hubtls' });
  t.equal(socket.ended, 'reset');
  t.same(acts, ['reset the TCP connection after the ClientHello']);
});

t.test('close-after-server-hello: the ServerHello alone in its record, then FIN', async (t) => {
  const { hooks, acts } = fault('close-after-server-hello');
  const serverHello = message(HANDSHAKE.serverHello, Buffer.from('sh'));
  const certificate = message(HANDSHAKE.certificate, Buffer.alloc(40));
  const flight = frameRecord(CONTENT.handshake, TLS12, Buffer.concat([serverHello, certificate]));
  const out = new WireSink();
  await hooks.serverToClient!(flight.subarray(0, 7), out); // a record split across TCP chunks
  t.same(out.pushed, [], 'nothing before the record is whole');
  await hooks.serverToClient!(flight.subarray(7), out);
  t.same(out.bytes, frameRecord(CONTENT.handshake, TLS12, serverHello));
  t.equal(out.how, 'end');
  t.same(acts, ['closed the connection right after the ServerHello']);
});

t.test('delay-server-hello: answers after the delay, timeout paused; a client that leaves ends it', async (t) => {
  const { hooks, timeout, acts } = fault('delay-server-hello', { ms: 30 });
  const started = Date.now();
  t.equal(await hooks.hello!(), undefined, 'the handshake goes on');
  t.ok(Date.now() - started >= 25, 'waited the delay');
  t.same(timeout, { suspended: 1, resumed: 1 });
  t.same(acts, ['delayed the ServerHello by 30 ms']);
  const left = fault('delay-server-hello', { ms: 60_000 });
  setTimeout(() => left.socket.destroy(), 5);
  t.same(await left.hooks.hello!(), { ended: 'the client left during the delay' });
});

t.test('kill-after: bytes count the ClientHello and both directions; seconds count from accept', async (t) => {
  const byBytes = fault('kill-after', { bytes: 15 }, faultStub({ helloBytes: 10 }));
  const out = new WireSink();
  await byBytes.hooks.serverToClient!(Buffer.alloc(10, 1), out);
  t.equal(out.bytes.length, 5, 'only the bytes up to the limit pass');
  t.equal(byBytes.socket.ended, 'reset');
  t.same(byBytes.acts, ['reset the connection after 15 bytes']);
  const helloAlone = fault('kill-after', { bytes: 5, how: 'close' }, faultStub({ helloBytes: 10 }));
  helloAlone.hooks.hello!();
  t.equal(helloAlone.socket.ended, 'close');
  const bySeconds = fault('kill-after', { seconds: 0.5 }, faultStub({ acceptedAt: Date.now() - 1000 }));
  bySeconds.hooks.hello!();
  await closed(bySeconds.socket);
  t.same(bySeconds.acts, ['reset the connection after 0.5 s'], 'already due at the hello: acts at once');
});

t.test('kill-after from established: no timer before the handshake completes', async (t) => {
  const { hooks, socket } = fault('kill-after', { seconds: 0.01, from: 'established' });
  t.notOk(hooks.hello, 'nothing armed at the hello');
  hooks.established!({} as never);
  await closed(socket);
  t.equal(socket.ended, 'reset');
});

t.test('oversize-records, tiny-records, bad-signature: record faults for the mini engine, as data', async (t) => {
  t.same(fault('oversize-records', { size: 4096 }).hooks.records?.faults, { oversize: 4096 });
  t.same(fault('tiny-records').hooks.records?.faults, { tinyHandshake: 1 });
  t.same(fault('bad-signature').hooks.records?.faults, { badSignature: true });
});

t.test('serve-defect: the catalog chain replaces the served chain of its key type', async (t) => {
  const expired = chain('expired', 2);
  const { hooks, acts } = fault('serve-defect', { chain: 'expired' }, faultStub({ chains: { expired } }));
  const ec = chain('ecc-g3', 2, 'ec');
  t.same(hooks.material!({ rsa: chain('g2', 2), ec }), { rsa: expired, ec });
  t.same(acts, ['served chain expired']);
});

t.test('slow-bytes: pieces of N bytes with a pause after each; the timeout is paused from the hello', async (t) => {
  const { hooks, timeout, acts } = fault('slow-bytes', { bytes: 4, intervalMs: 50 });
  hooks.hello!();
  t.equal(timeout.suspended, 1);
  const out = new WireSink();
  await hooks.serverToClient!(Buffer.alloc(10), out);
  await hooks.serverToClient!(Buffer.alloc(3), out);
  t.same(
    out.pushed.map((b) => b.length),
    [4, 4, 2, 3],
  );
  t.same(out.delays, [50, 50, 50, 50]);
  t.equal(acts.length, 1, 'acts once per connection');
});

t.test('stall: silence until the client leaves, or until forMs', async (t) => {
  const waiting = fault('stall');
  setTimeout(() => waiting.socket.destroy(), 20);
  const ended = await waiting.hooks.hello!();
  t.match(ended, { ended: /^the client gave up after \d+ ms of silence$/ });
  t.ok(waiting.socket.resumed, 'reads and drops what the client sends');
  t.same(waiting.timeout, { suspended: 1, resumed: 0 }, 'the stall owns the connection: the timeout stays off');
  const bounded = fault('stall', { forMs: 20 });
  t.match(await bounded.hooks.hello!(), { ended: /^hubtls closed after \d+ ms of silence$/ });
  t.equal(bounded.socket.ended, 'close');
});

t.test('truncate-chain: the first N certificates of every served chain', async (t) => {
  const { hooks, acts } = fault('truncate-chain');
  const served = hooks.material!({ rsa: chain('g2', 3), ec: chain('ecc-g3', 2, 'ec') });
  t.equal(served.rsa!.certPem, pem(0));
  t.equal(served.ec!.certPem, pem(0));
  t.equal(served.rsa!.chainId, 'g2(first 1)');
  t.same(acts, ['served the leaf without intermediates']);
  const two = fault('truncate-chain', { keep: 2 }).hooks.material!({ rsa: chain('g2', 3) });
  t.equal(two.rsa!.certPem, pem(0) + pem(1));
});

t.test('every registered fault has a test here', async (t) => {
  t.same(
    faultNames().filter((n) => !tested.has(n)),
    [],
  );
});
