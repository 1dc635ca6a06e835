/**
 * forward mode: hubtls terminates the device's TLS with the emulated profile and chain, opens TLS
 * to a real upstream (here a TLS echo server started by the test, with its own chain and trust),
 * pipes both ways and logs bytes and timing; an upstream it cannot verify is never talked to, and
 * one that never answers (or refuses the connect) fails `forward-open` and drops the device.
 */
import t, { type Test } from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust, nextSession } from '../helpers/devices.js';
import { sharedStore } from '../helpers/pki.js';

async function echoUpstream(t: Test, certPem: string, keyPem: string): Promise<{ port: number; snis: string[] }> {
  const snis: string[] = [];
  const server = tls.createServer({ cert: certPem, key: keyPem }, (s) => {
    snis.push((s as tls.TLSSocket & { servername?: string }).servername ?? '');
    s.on('data', (b: Buffer) => s.write(`upstream saw: ${b.toString()}`));
    s.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as { port: number }).port, snis };
}

function roundTrip(port: number, ca: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'myhub.azure-devices.net', ca }, () => s.write(text));
    s.once('data', (b: Buffer) => (resolve(b.toString()), s.end()));
    s.once('error', reject);
    s.once('close', () => resolve(''));
  });
}

t.test('forward to a real upstream', async (t) => {
  const store = await sharedStore();
  const [trust, upstreamChain] = await Promise.all([exportedTrust(), store.serve('g2-tls01', { kind: 'iothub' })]);
  const up = await echoUpstream(t, upstreamChain.certPem, upstreamChain.keyPem);
  const g2File = path.join(trust.dir, 'upstream-ca-g2.pem');
  const baltimoreFile = path.join(trust.dir, 'upstream-ca-baltimore.pem');
  writeFileSync(g2File, trust.g2);
  writeFileSync(baltimoreFile, trust.baltimore);
  const endpoint = (name: string, hostnames: string[], ca: string) => ({
    name,
    kind: 'iothub',
    hostnames,
    profile: 'iothub-2025',
    chain: 'baltimore',
    after: { mode: 'forward', upstream: { host: '127.0.0.1', port: up.port, ca } },
  });
  const th = await startTestHub(t, {
    name: 'forward',
    endpoints: [
      endpoint('mitm', ['*.azure-devices.net'], g2File),
      endpoint('wrong-trust', ['*.example.net'], baltimoreFile),
    ],
  });

  await t.test('bytes go both ways; the device sees the emulated chain, the upstream its own', async (t) => {
    const reply = await roundTrip(th.port, trust.baltimore, 'hello upstream');
    t.equal(reply, 'upstream saw: hello upstream');
    t.same(up.snis, ['myhub.azure-devices.net'], "upstream got the device's SNI");
    const open = await nextSession(th, (e) => e.action === 'forward-open');
    t.ok(open.ok, open.reason);
    t.match(open.detail?.upstreamSubject, /azure-devices\.net/);
    t.equal(open.detail?.protocol, 'TLSv1.3', 'upstream negotiated on its own terms');
    const handshake = await th.nextHandshake((h) => h.endpoint === 'mitm');
    t.match(handshake.chain?.root, /Baltimore/, 'device side: the emulated Baltimore chain');
    const closed = await nextSession(th, (e) => e.action === 'forward-close');
    t.same(
      [closed.detail?.fromDevice, closed.detail?.fromUpstream],
      ['hello upstream'.length, 'upstream saw: hello upstream'.length],
    );
    t.type(closed.detail?.durationMs, 'number');
  });

  await t.test('an upstream that does not verify against upstream.ca is refused and the device dropped', async (t) => {
    const s = tls.connect({
      host: '127.0.0.1',
      port: th.port,
      servername: 'dev.example.net',
      rejectUnauthorized: false,
    });
    s.on('error', () => {});
    await new Promise((resolve) => s.once('close', resolve));
    const open = await nextSession(th, (e) => e.action === 'forward-open' && !e.ok);
    t.match(
      open.reason,
      /upstream 127\.0\.0\.1:\d+ failed: .*(unable to get local issuer|self.signed|unable to verify)/i,
    );
  });
});

/** A TCP server that accepts and never says a word (no ServerHello): the upstream that hangs. */
async function silentUpstream(t: Test): Promise<number> {
  const held: net.Socket[] = [];
  const server = net.createServer((s) => (held.push(s), s.on('error', () => {})));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => (held.forEach((s) => s.destroy()), server.close(() => resolve()))));
  return (server.address() as net.AddressInfo).port;
}

/** A port nothing listens on: bound, noted, closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

t.test('an upstream that never answers or refuses: forward-open ok:false and the device closed', async (t) => {
  const trust = await exportedTrust();
  const [silent, closed] = await Promise.all([silentUpstream(t), closedPort()]);
  const endpoint = (name: string, hostnames: string[], port: number) => ({
    name,
    kind: 'iothub',
    hostnames,
    profile: 'iothub-2025',
    chain: 'g2',
    after: { mode: 'forward', handshakeTimeoutMs: 300, upstream: { host: '127.0.0.1', port } },
  });
  const th = await startTestHub(t, {
    name: 'forward-timeouts',
    endpoints: [endpoint('silent', ['*.azure-devices.net'], silent), endpoint('closed', ['*.example.net'], closed)],
  });
  const device = (servername: string) =>
    new Promise<void>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: th.port, servername, ca: trust.g2 }, () => s.write('hello'));
      s.on('error', () => {});
      s.once('close', () => resolve());
    });

  await t.test('accepts and stays silent: the handshake timeout', async (t) => {
    await device('myhub.azure-devices.net');
    const open = await nextSession(th, (e) => e.action === 'forward-open' && e.endpoint === 'silent');
    t.notOk(open.ok);
    t.match(open.reason, /failed: connected, but no TLS handshake within 300 ms \(handshakeTimeoutMs\)/);
    t.equal(open.detail?.code, 'UPSTREAM_HANDSHAKE_TIMEOUT');
  });

  await t.test('a closed port: the connect is refused', async (t) => {
    await device('dev.example.net');
    const open = await nextSession(th, (e) => e.action === 'forward-open' && e.endpoint === 'closed');
    t.notOk(open.ok);
    t.equal(open.detail?.code, 'ECONNREFUSED', open.reason);
  });
});
