// The baseline: a bare Node `tls` server with the same certificate chain, key, suite, curves and
// client-certificate request as the hubtls endpoint under test, and no inspection, policy or
// events. It keeps connections open and discards what clients send (as hubtls's `hold` mode).
// Usage: node --expose-gc --import ./bench/probe.mjs bench/bare-server.mjs CONFIG.json
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = tls.createServer(cfg.tls, (socket) => {
  socket.on('error', () => {});
  socket.on('data', () => {});
});
server.on('tlsClientError', () => {});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ event: 'ready', listeners: [{ port: server.address().port }] }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
