/**
 * The synchronous decoder against the library's own stream parser it replaced: over thousands of
 * mutated real ClientHellos both must accept the same messages and produce the same fields.
 */
import t from 'tap';
import { Readable } from 'node:stream';
import { readTlsClientHello, type TlsClientHelloMessage } from 'read-tls-client-hello';
import { decodeClientHello } from '../../src/tls/wire/clienthello-decode.js';
import { captureOpensslHello } from '../helpers/capture.js';

const COUNT = 3000;

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => ((a = (Math.imul(a ^ (a >>> 15), 2246822507) + 0x6d2b79f5) >>> 0), a / 4294967296);
}

/** Flip bytes or cut the body, keeping the 4-byte header consistent so the framing is not the test. */
function mutate(msg: Buffer, r: () => number): Buffer {
  const m = Buffer.from(msg.subarray(0, r() < 0.3 ? 4 + Math.floor(r() * (msg.length - 4)) : msg.length));
  for (let k = Math.floor(r() * 4); k > 0; k--) m[4 + Math.floor(r() * (m.length - 4))] = Math.floor(r() * 256);
  m.writeUIntBE(m.length - 4, 1, 3);
  return m;
}

async function viaLibrary(message: Buffer): Promise<TlsClientHelloMessage | Error> {
  const record = Buffer.concat([Buffer.from([0x16, 3, 1, message.length >> 8, message.length & 0xff]), message]);
  return readTlsClientHello(Readable.from([record], { objectMode: false })).catch((e: Error) => e);
}

/**
 * The decoder's two deliberate departures (issue 13): a hello that ends after compression_methods
 * is well-formed (RFC 5246 §7.4.1.2; the library requires extensions), and server_name is read
 * byte-exact (the library's 'ascii' clears top bits; test/integration/hello-edges.test.ts covers it).
 */
function withoutSni(h: TlsClientHelloMessage): TlsClientHelloMessage {
  return { ...h, extensions: h.extensions.map((e) => (e.id === 0 ? { id: 0, data: null } : e)) };
}

function viaDecoder(message: Buffer): TlsClientHelloMessage | Error {
  try {
    return decodeClientHello(message);
  } catch (e) {
    return e as Error;
  }
}

t.test(`decoder agrees with readTlsClientHello on ${COUNT} mutated ClientHellos`, async (t) => {
  const seeds = await Promise.all([
    captureOpensslHello(['-servername', 'myhub.azure-devices.net', '-alpn', 'mqtt']),
    captureOpensslHello(['-tls1_2', '-maxfraglen', '512']),
  ]);
  let accepted = 0;
  let disagreements = 0;
  for (let i = 0; i < COUNT; i++) {
    const msg = mutate(seeds[i % seeds.length]!.message, rng(i));
    const [lib, ours] = [await viaLibrary(msg), viaDecoder(msg)];
    const same =
      lib instanceof Error
        ? ours instanceof Error || ours.extensions.length === 0
        : !(ours instanceof Error) && JSON.stringify(withoutSni(lib)) === JSON.stringify(withoutSni(ours));
    if (!same && disagreements++ < 3)
      t.fail(
        `message ${i} differs: library ${lib instanceof Error ? lib.message : 'ok'}, decoder ${ours instanceof Error ? ours.message : 'ok'}`,
      );
    if (!(lib instanceof Error)) accepted++;
  }
  t.equal(disagreements, 0, 'same verdict and same fields for every message');
  t.ok(
    accepted > COUNT / 10 && accepted < COUNT,
    `${accepted} accepted, ${COUNT - accepted} rejected: both paths exercised`,
  );
});
