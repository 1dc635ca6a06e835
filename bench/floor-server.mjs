// The floor: the bare server plus only what the brief makes every hubtls connection do, written as
// cheaply as Node allows, and nothing of hubtls's own code. (1) The ClientHello is read in
// JavaScript before OpenSSL sees it (brief: "policy decisions are taken on the raw ClientHello before
// the handshake is handed to OpenSSL"): a `data` listener until the first record is whole, then
// `unshift` and a TLSSocket over the socket, as hubtls's engine does. No parsing, no policy.
// (2) One structured log line per handshake (brief: "one event per handshake with the ClientHello
// summary and the decision"): a line the size and shape of hubtls's handshake line, one
// JSON.stringify, written through pino's asynchronous destination to stdout as hubtls writes it.
// What hubtls spends above this floor is its own code; what the floor spends above bare is the price
// of the architecture. Same chain, key, suite, groups and client-certificate request as bare.
// Usage: node --expose-gc --import ./bench/probe.mjs bench/floor-server.mjs CONFIG.json
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { pino } from 'pino';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const context = tls.createSecureContext(cfg.tls);
const out = pino.destination({ dest: 1, sync: false });
// The ClientHello summary of hubtls's line for the bench's client (a constant here: no parsing).
const hello = {
  sni: 'bench-device.azure-devices.net',
  versions: ['TLSv1', 'TLSv1.1', 'TLSv1.2'],
  suites: ['TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256', 'TLS_EMPTY_RENEGOTIATION_INFO_SCSV'],
  groups: ['x25519', 'secp256r1', 'x448', 'secp521r1', 'secp384r1'],
  sigalgs: Array.from({ length: 20 }, (_, i) => `signature_algorithm_${i}`),
  alpn: [],
  ja3: 'd1f47f694f10b1faf653048918492609',
  ja4: 't12d020700_b06afd972a5c_e7e480e5a997',
};
let conns = 0;

function onHello(socket, raw, started) {
  socket.unshift(raw);
  const t = new tls.TLSSocket(socket, {
    isServer: true,
    secureContext: context,
    requestCert: cfg.tls.requestCert,
    rejectUnauthorized: false,
  });
  t.on('error', () => {});
  t.on('data', () => {});
  t.once('secure', () => {
    const line = {
      level: 30,
      time: new Date().toISOString(),
      event: 'handshake',
      conn: ++conns,
      peer: `${socket.remoteAddress}:${socket.remotePort}`,
      hello: { ...hello, bytes: raw.length },
      outcome: 'ACCEPTED',
      negotiated: { version: t.getProtocol(), suite: 'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256' },
      reason:
        'accepted on endpoint hub (profile iothub-2025): TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, RSA chain g2',
      chain: { id: 'g2', root: 'C=US, O=DigiCert Inc, OU=www.digicert.com, CN=DigiCert Global Root G2' },
      durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    };
    out.write(`${JSON.stringify(line)}\n`);
  });
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const started = process.hrtime.bigint();
  socket.on('error', () => {});
  let buf = Buffer.alloc(0);
  const onData = (chunk) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    if (buf.length < 5 || buf.length < 5 + buf.readUInt16BE(3)) return;
    socket.off('data', onData);
    socket.pause();
    onHello(socket, buf, started);
  };
  socket.on('data', onData);
});
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ event: 'ready', listeners: [{ port: server.address().port }] }) + '\n');
});
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => (out.flushSync(), process.exit(0)));
