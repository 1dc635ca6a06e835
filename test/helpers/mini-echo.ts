/**
 * An echo server on the mini engine, for clients that cannot reach it through the policy (Node's
 * tls cannot request max_fragment_length or offer 3DES): the real hello reader, decide() and the
 * hub's loaded chains, with the engine forced to mini and the decrypted stream piped to itself.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import type { Test } from 'tap';
import { readClientHello } from '../../src/tls/hello-reader.js';
import { parseClientHello } from '../../src/tls/clienthello.js';
import { decide } from '../../src/tls/policy/decide.js';
import { miniHandshake } from '../../src/tls/engines/mini/index.js';
import type { Hub } from '../../src/hub.js';
import type { Established } from '../../src/tls/engines/types.js';
import type { RecordFaults } from '../../src/tls/record-faults/faults.js';

export interface EchoServer {
  port: number;
  /** Each connection's result, in the order the server finished them. */
  established: Array<Established | Error>;
  /**
   * The first `n` results, once the server has them: a client leaving (s_client exiting, an
   * 'error' on Node's socket) says nothing about when the server side has read its alert.
   */
  settled(n: number, timeoutMs?: number): Promise<Array<Established | Error>>;
}

async function serve(hub: Hub, socket: net.Socket, faults: RecordFaults): Promise<Established> {
  const raw = await readClientHello(socket);
  const d = decide(await parseClientHello(raw.message, raw.raw.length), hub.runtime.endpoints.policyState(['hub']));
  if (d.code !== 'HUBTLS_ACCEPTED') throw new Error(`policy refused: ${d.reason}`);
  const ep = hub.runtime.endpoints.get('hub');
  const plan = {
    decision: { ...d, engine: 'mini' as const },
    profile: hub.runtime.endpoints.profileOf(ep),
    material: hub.runtime.endpoints.materialOf('hub'),
    clientCert: ep.clientCert,
    secureContext: () => {
      throw new Error('no OpenSSL here');
    },
    recordVersion: raw.recordVersion,
  };
  const est = await miniHandshake(socket, plan, faults);
  est.stream.on('error', () => {});
  est.stream.pipe(est.stream);
  return est;
}

export async function startMiniEcho(t: Test, hub: Hub, faults: RecordFaults = {}): Promise<EchoServer> {
  const established: EchoServer['established'] = [];
  const results = new EventEmitter();
  const record = (e: Established | Error) => (established.push(e), results.emit('result'));
  const server = net.createServer((s) => {
    s.on('error', () => {});
    serve(hub, s, faults).then(record, (e: Error) => (record(e), s.destroy()));
  });
  const settled = (n: number, timeoutMs = 10000) =>
    new Promise<Array<Established | Error>>((resolve, reject) => {
      const check = () => {
        if (established.length < n) return;
        clearTimeout(timer);
        results.off('result', check);
        resolve(established.slice(0, n));
      };
      const timer = setTimeout(() => {
        results.off('result', check);
        reject(new Error(`mini echo: ${established.length} of ${n} connections finished`));
      }, timeoutMs);
      results.on('result', check);
      check();
    });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return { port: (server.address() as net.AddressInfo).port, established, settled };
}
