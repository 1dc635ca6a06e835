// The upstream of the forward bench: a TLS server that counts what each connection sends and,
// once `expect` bytes have arrived, answers one byte (so the client's timing covers the way back).
// Usage: node bench/upstream-sink.mjs CONFIG.json   (CONFIG: { tls, expect })
import tls from 'node:tls';
import { readFileSync } from 'node:fs';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const server = tls.createServer(cfg.tls, (socket) => {
  let got = 0;
  socket.on('error', () => {});
  socket.on('data', (b) => {
    got += b.length;
    if (got >= cfg.expect && got - b.length < cfg.expect) socket.write(Buffer.from([1]));
  });
});
server.listen(0, '127.0.0.1', () =>
  process.stdout.write(JSON.stringify({ event: 'ready', listeners: [{ port: server.address().port }] }) + '\n'),
);
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => process.exit(0));
