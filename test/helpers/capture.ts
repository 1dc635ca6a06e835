/** Captures the raw ClientHello a real client sends, by listening on a plain TCP port. */
import net from 'node:net';
import { spawn } from 'node:child_process';
import { frameClientHello, type RawHello } from '../../src/tls/hello-reader.js';

export function captureOpensslHello(args: string[]): Promise<RawHello> {
  return new Promise((resolve, reject) => {
    let client: ReturnType<typeof spawn> | undefined;
    const server = net.createServer((s) => {
      let buf = Buffer.alloc(0);
      s.on('data', (d) => {
        buf = Buffer.concat([buf, d]);
        const p = frameClientHello(buf);
        if ('more' in p) return;
        s.destroy();
        server.close();
        client?.kill();
        if ('done' in p) resolve(p.done);
        else reject(p.error);
      });
    });
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      client = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      client.on('error', reject);
    });
  });
}
