/**
 * Until the `after: amqp` mode is merged (issue 15), DPS over AMQP is driven through its entry point
 * `serveDpsAmqp` on real TLS servers of this file, on 127.0.0.1 port 0 with the test PKI's stand-in
 * DPS chain, requesting client certificates: node:tls for AMQP, and https + ws for AMQP over
 * WebSockets (`/$iothub/websocket`, subprotocol AMQPWSB10). Each session gets a real SessionContext
 * (a compiled scenario's DeviceRegistry and DPS, a real EventBus). Drop it for a real hub once the
 * mode exists.
 */
import https from 'node:https';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Test } from 'tap';
import { EventBus } from '../../src/events/bus.js';
import type { HubEvent, SessionEvent } from '../../src/events/types.js';
import { DeviceRegistry } from '../../src/core/registry.js';
import { loadScenario } from '../../src/scenario/load.js';
import { compileScenario } from '../../src/scenario/compile.js';
import { afterModeNames } from '../../src/after/registry.js';
import { peerCertInfo } from '../../src/tls/engines/peer-cert.js';
import type { PeerCertInfo } from '../../src/tls/engines/types.js';
import type { SessionContext } from '../../src/after/types.js';
import { serveDpsAmqp } from '../../src/after/amqp/dps/serve.js';
import { scenarioFile } from './hub.js';
import { sharedStore } from './pki.js';

export interface AmqpDpsServer {
  /** AMQP over TLS. */
  port: number;
  /** AMQP over WebSockets over TLS, at /$iothub/websocket. */
  wsPort: number;
  devices: DeviceRegistry;
  events: HubEvent[];
  /** The first `session` event (seen since index `from`, or future) matching `pred`. */
  nextSession(pred: (e: SessionEvent) => boolean, from?: number, timeoutMs?: number): Promise<SessionEvent>;
}

/** The client certificate and the chain it sent, as the OpenSSL engine reads them. */
function peerCert(s: tls.TLSSocket): PeerCertInfo | undefined {
  const leaf = s.getPeerX509Certificate();
  if (!leaf) return undefined;
  const chain: Buffer[] = [];
  for (let d: tls.DetailedPeerCertificate | undefined = s.getPeerCertificate(true); d?.raw; d = d.issuerCertificate) {
    if (chain.some((b) => b.equals(d!.raw))) break;
    chain.push(d.raw);
  }
  return peerCertInfo(leaf, chain);
}

type Served = Awaited<ReturnType<Awaited<ReturnType<typeof sharedStore>>['serve']>>;

async function dpsParts(scenario: object) {
  const pki = await sharedStore();
  const loaded = loadScenario(scenarioFile(scenario), {
    chainIds: pki.listChains().map((c) => c.id),
    afterModes: afterModeNames(),
  });
  const compiled = compileScenario(loaded, { port: 0, noAdmin: true });
  const devices = new DeviceRegistry(compiled.devices, () => new Date());
  await devices.load(pki);
  const dps = compiled.endpoints.find((e) => e.kind === 'dps')!;
  if (!('catalog' in dps.chain)) throw new Error('the DPS endpoint of this helper serves a catalog chain');
  const served = await pki.serve(dps.chain.catalog, { kind: 'dps' });
  // The scenario names a DPS mode that exists today (mqtt) for its options; the session is AMQP's.
  return { devices, endpoint: { ...dps, after: 'amqp' }, served };
}

async function listen(t: Test, server: tls.Server): Promise<number> {
  const sockets = new Set<tls.TLSSocket>();
  server.on('secureConnection', (s: tls.TLSSocket) => (sockets.add(s), s.once('close', () => sockets.delete(s))));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return (server.address() as { port: number }).port;
}

export async function startAmqpDpsServer(t: Test, scenario: object): Promise<AmqpDpsServer> {
  const { devices, endpoint, served } = await dpsParts(scenario);
  const bus = new EventBus();
  const events: HubEvent[] = [];
  bus.subscribe((e) => void events.push(e));
  let conn = 0;
  const serve = (s: tls.TLSSocket, stream: Duplex, protocol: 'amqp' | 'amqp-ws'): void => {
    const established = {
      stream: s,
      version: s.getProtocol() ?? 'unknown',
      suite: s.getCipher()?.standardName ?? 'unknown',
      keyType: served.keyType,
      peerCert: peerCert(s),
      tlsSocket: s,
    };
    const peer = `${s.remoteAddress}:${s.remotePort}`;
    const ctx: SessionContext = {
      conn: ++conn,
      peer,
      endpoint,
      established,
      bus,
      now: () => new Date(),
      devices,
      socket: s,
    };
    serveDpsAmqp(ctx, stream, protocol);
  };
  const options = tlsOptions(served);
  const port = await listen(
    t,
    tls.createServer(options, (s) => serve(s, s, 'amqp')),
  );
  const web = https.createServer(options);
  const wss = new WebSocketServer({
    server: web,
    path: '/$iothub/websocket',
    handleProtocols: (offered) => (offered.has('AMQPWSB10') ? 'AMQPWSB10' : false),
  });
  wss.on('connection', (ws, req) => serve(req.socket as tls.TLSSocket, createWebSocketStream(ws), 'amqp-ws'));
  const wsPort = await listen(t, web);
  const nextSession = (pred: (e: SessionEvent) => boolean, from = 0, timeoutMs = 20_000): Promise<SessionEvent> => {
    const match = (e: HubEvent): e is SessionEvent => e.type === 'session' && pred(e);
    const seen = events.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => (off(), reject(new Error('no matching session event'))), timeoutMs);
      const off = bus.subscribe((e) => {
        if (!match(e)) return;
        clearTimeout(timer);
        off();
        resolve(e);
      });
    });
  };
  return { port, wsPort, devices, events, nextSession };
}

function tlsOptions(served: Served): tls.TlsOptions {
  return { cert: served.certPem, key: served.keyPem, requestCert: true, rejectUnauthorized: false };
}
