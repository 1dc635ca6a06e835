// The forward bench's baseline: a bare Node TLS pipe. It terminates the client's TLS with the same
// chain and suite as hubtls, opens a TLS connection to the upstream and pipes both ways: what
// hubtls's `forward` mode does, without inspection, policy or events.
// Usage: node --expose-gc --import ./bench/probe.mjs bench/bare-pipe.mjs CONFIG.json   (CONFIG: { tls, upstream: { host, port } })
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = tls.createServer(cfg.tls, (device) => {
  device.on('error', () => {});
  const up = tls.connect({ ...cfg.upstream, rejectUnauthorized: false }, () => {
    device.pipe(up);
    up.pipe(device);
  });
  up.on('error', () => device.destroy());
  device.on('close', () => up.destroy());
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(JSON.stringify({ event: 'ready', listeners: [{ port: server.address().port }] }) + '\n'),
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
