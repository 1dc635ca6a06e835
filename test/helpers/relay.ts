/**
 * A TCP relay between a client and the hub that reads the TLS record headers going each way, so
 * tests can check every record length on the wire. With `bufferLimit` it also plays a device
 * whose receive buffer holds records of that many plaintext bytes: a longer record from the
 * server makes it send record_overflow (as mbedTLS does) and hang up.
 */
import net from 'node:net';
import type { Test } from 'tap';

export interface WireRecord {
  from: 'client' | 'server';
  type: number;
  length: number;
  /** Sent after the sender's ChangeCipherSpec (so the length includes cipher overhead). */
  encrypted: boolean;
}

export interface Relay {
  port: number;
  records: WireRecord[];
  /** Why the simulated device gave up, if it did. */
  deviceErrors: string[];
}

/** Most a record's ciphertext exceeds its plaintext by here: explicit IV 16 + MAC 48 + padding 16. */
export const MAX_OVERHEAD = 80;

/** Follows one direction's record headers without buffering bodies; a record is judged on its header. */
class StreamTap {
  private header = Buffer.alloc(0);
  private skip = 0;
  private ccs = false;

  constructor(
    private readonly from: WireRecord['from'],
    private readonly out: WireRecord[],
    private readonly accept: (r: WireRecord) => boolean,
  ) {}

  /** False when the relay must stop forwarding (the device refused a record). */
  feed(d: Buffer): boolean {
    while (d.length) {
      if (this.skip) {
        const n = Math.min(this.skip, d.length);
        [this.skip, d] = [this.skip - n, d.subarray(n)];
        continue;
      }
      const need = 5 - this.header.length;
      [this.header, d] = [Buffer.concat([this.header, d.subarray(0, need)]), d.subarray(need)];
      if (this.header.length < 5) break;
      const r: WireRecord = {
        from: this.from,
        type: this.header[0]!,
        length: this.header.readUInt16BE(3),
        encrypted: this.ccs,
      };
      [this.header, this.skip] = [Buffer.alloc(0), r.length];
      this.out.push(r);
      if (r.type === 20) this.ccs = true;
      if (!this.accept(r)) return false;
    }
    return true;
  }
}

export async function startRelay(t: Test, target: number, opts: { bufferLimit?: number } = {}): Promise<Relay> {
  const relay: Relay = { port: 0, records: [], deviceErrors: [] };
  const server = net.createServer((client) => pipePair(client, target, relay, opts.bufferLimit));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  relay.port = (server.address() as net.AddressInfo).port;
  t.teardown(() => new Promise<void>((r) => server.close(() => r())));
  return relay;
}

function pipePair(client: net.Socket, target: number, relay: Relay, limit?: number): void {
  const upstream = net.connect(target, '127.0.0.1');
  const stop = () => (client.destroy(), upstream.destroy());
  client.on('error', stop).on('close', () => upstream.end());
  upstream.on('error', stop).on('close', () => client.end());
  const fromClient = new StreamTap('client', relay.records, () => true);
  const fromServer = new StreamTap('server', relay.records, (r) => {
    const room = limit === undefined ? Infinity : limit + (r.encrypted ? MAX_OVERHEAD : 0);
    if (r.length <= room) return true;
    relay.deviceErrors.push(`record of ${r.length} bytes from the server exceeds the ${limit}-byte receive buffer`);
    if (!r.encrypted) upstream.write(Buffer.from([21, 3, 3, 0, 2, 2, 22])); // fatal record_overflow
    upstream.end();
    client.destroy();
    return false;
  });
  client.on('data', (d: Buffer) => fromClient.feed(d) && upstream.write(d));
  upstream.on('data', (d: Buffer) => fromServer.feed(d) && client.write(d));
}
