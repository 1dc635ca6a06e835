import t, { type Test } from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { frameClientHello, readClientHello, HelloReadError } from '../../src/tls/hello-reader.js';

function record(type: number, payload: Buffer): Buffer {
  const h = Buffer.from([type, 3, 1, 0, 0]);
  h.writeUInt16BE(payload.length, 3);
  return Buffer.concat([h, payload]);
}

function handshake(bodyLen: number): Buffer {
  const body = Buffer.alloc(bodyLen, 0xab);
  const h = Buffer.from([1, 0, 0, 0]);
  h.writeUIntBE(bodyLen, 1, 3);
  return Buffer.concat([h, body]);
}

t.test('one record, complete', async (t) => {
  const msg = handshake(100);
  const p = frameClientHello(record(0x16, msg));
  t.ok('done' in p && p.done.message.equals(msg));
});

t.test('incomplete until the last byte, at any split', async (t) => {
  const bytes = record(0x16, handshake(60));
  for (let i = 0; i < bytes.length; i++) t.ok('more' in frameClientHello(bytes.subarray(0, i)), `prefix ${i}`);
  t.ok('done' in frameClientHello(bytes));
});

t.test('a ClientHello spanning three records is reassembled', async (t) => {
  const msg = handshake(300);
  const bytes = Buffer.concat([
    record(0x16, msg.subarray(0, 2)),
    record(0x16, msg.subarray(2, 150)),
    record(0x16, msg.subarray(150)),
  ]);
  const p = frameClientHello(bytes);
  t.ok('done' in p && p.done.message.equals(msg) && p.done.raw.length === bytes.length);
});

t.test('faults are classified', async (t) => {
  const fault = (b: Buffer) => {
    const p = frameClientHello(b);
    return 'error' in p ? p.error.fault : 'none';
  };
  t.equal(fault(Buffer.from('GET / HTTP/1.1\r\n')), 'not-tls');
  t.equal(fault(Buffer.from([0x10, 0x20, 0x00, 0x04])), 'not-tls', 'plain MQTT CONNECT');
  t.equal(fault(Buffer.from([0x16, 3, 1, 0x40, 0x01])), 'record-overflow');
  t.equal(fault(record(0x16, Buffer.from([2, 0, 0, 1, 0]))), 'not-client-hello');
  t.equal(
    fault(Buffer.concat([record(0x16, handshake(10).subarray(0, 5)), record(0x17, Buffer.from([1]))])),
    'not-client-hello',
  );
});

/** A connected client/server socket pair on 127.0.0.1. */
async function socketPair(t: Test): Promise<{ client: net.Socket; sock: net.Socket }> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  const [sock] = (await once(server, 'connection')) as [net.Socket];
  t.teardown(() => (client.destroy(), sock.destroy(), server.close()));
  return { client, sock };
}

t.test('readClientHello over a socket fed byte by byte, then bytes are given back', async (t) => {
  const bytes = record(0x16, handshake(40));
  const { client, sock } = await socketPair(t);
  const reading = readClientHello(sock);
  for (const b of bytes) {
    client.write(Buffer.from([b]));
    await new Promise((r) => setImmediate(r));
  }
  const raw = await reading;
  t.equal(raw.raw.length, bytes.length);
  t.ok((sock.read() as Buffer).equals(bytes), 'every byte is readable again by the TLS engine');
});

t.test('readClientHello rejects with closed when the peer leaves half way', async (t) => {
  const { client, sock } = await socketPair(t);
  const reading = readClientHello(sock);
  client.end(record(0x16, handshake(40)).subarray(0, 20));
  const err = await reading.catch((e) => e);
  t.ok(err instanceof HelloReadError && err.fault === 'closed');
  t.match(err.message, /after 20 bytes/);
});
