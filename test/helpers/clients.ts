/** Plain Node clients for tests that hold many connections open (limits, slow clients, shutdown). */
import net from 'node:net';
import tls from 'node:tls';
import { once } from 'node:events';
import type { EventBus } from '../../src/events/bus.js';
import type { NoticeEvent } from '../../src/events/types.js';

/** A TCP connection to the hub, resolved once connected; errors are swallowed (the hub may close it). */
export async function rawConnect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => {});
  await once(s, 'connect');
  return s;
}

/** A TLS 1.2 client that does not verify the chain (these tests are about connections, not trust). */
export function tlsConnect(
  port: number,
  servername = 'myhub.azure-devices.net',
  over: tls.ConnectionOptions = {},
): Promise<tls.TLSSocket> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({
      port,
      host: '127.0.0.1',
      servername,
      rejectUnauthorized: false,
      maxVersion: 'TLSv1.2',
      ...over,
    });
    s.once('secureConnect', () => (s.off('error', reject), s.on('error', () => {}), resolve(s)));
    s.once('error', reject);
  });
}

/** Resolves once `socket` is closed (by either side; a reset is a close too). */
export function closed(socket: net.Socket): Promise<void> {
  if (socket.closed || socket.destroyed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** The next notice with `what` published on the bus. */
export function nextNotice(bus: EventBus, what: string): Promise<NoticeEvent> {
  return new Promise((resolve) => {
    const off = bus.subscribe((e) => {
      if (e.type !== 'notice' || e.what !== what) return;
      off();
      resolve(e);
    });
  });
}
