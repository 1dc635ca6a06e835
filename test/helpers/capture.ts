/** Captures the raw ClientHello a real client sends, by listening on a plain TCP port. */
import net from 'node:net';
import tls from 'node:tls';
import { spawn } from 'node:child_process';
import { frameClientHello, type RawHello } from '../../src/tls/hello-reader.js';

/** Listens on a free port, lets `start(port)` connect a client, and resolves with its ClientHello; `stop` runs after. */
function captureHello(start: (port: number) => { stop?: () => void; onError?: (f: (e: Error) => void) => void }) {
  return new Promise<RawHello>((resolve, reject) => {
    let client: ReturnType<typeof start> | undefined;
    const server = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const p = frameClientHello(buf);
        if ('more' in p) return;
        s.destroy();
        server.close();
        client?.stop?.();
        if ('done' in p) resolve(p.done);
        else reject(p.error);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      client = start((server.address() as net.AddressInfo).port);
      client.onError?.(reject);
    });
  });
}

export function captureOpensslHello(args: string[]): Promise<RawHello> {
  return captureHello((port) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    return { stop: () => child.kill(), onError: (f) => child.on('error', f) };
  });
}

/** The ClientHello a Node.js client sends with `options`. */
export function captureNodeHello(options: tls.ConnectionOptions): Promise<RawHello> {
  return captureHello((port) => {
    tls.connect({ port, host: '127.0.0.1', rejectUnauthorized: false, ...options }).on('error', () => {});
    return {};
  });
}
