/**
 * Graceful shutdown (issue 9): on SIGTERM `hubtls run` stops accepting at once, lets a handshake in
 * flight finish, ends sessions with close_notify, times out what never completes, logs a final
 * `stopped` event and exits 0.
 */
import t from 'tap';
import net from 'node:net';
import tls from 'node:tls';
import { Duplex } from 'node:stream';
import { once } from 'node:events';
import { runCli } from '../helpers/cli.js';
import { rawConnect, tlsConnect } from '../helpers/clients.js';

/** A TCP transport that holds everything the TLS client writes until release(): a ClientHello "in flight". */
class HeldTransport extends Duplex {
  private held: Buffer[] | null = [];

  constructor(private readonly socket: net.Socket) {
    super();
    socket.on('data', (d) => this.push(d));
    socket.on('end', () => this.push(null));
    socket.on('error', (e) => this.destroy(e));
  }

  /** Sends the first `n` bytes held so far, so the hub sees a started but incomplete ClientHello. */
  sendFirst(n: number): void {
    const all = Buffer.concat(this.held!);
    this.socket.write(all.subarray(0, n));
    this.held = [all.subarray(n)];
  }

  release(): void {
    for (const b of this.held ?? []) this.socket.write(b);
    this.held = null;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    if (this.held) {
      this.held.push(chunk);
      cb();
    } else this.socket.write(chunk, cb);
  }

  override _read(): void {}

  override _final(cb: () => void): void {
    this.socket.end(cb);
  }
}

t.test('SIGTERM drains, closes listeners, flushes the log, exits 0', async (t) => {
  const hub = await runCli(['--drain-ms', '1500']);
  t.teardown(() => void hub.child.kill('SIGKILL'));
  const silent = await rawConnect(hub.port);
  const raw = await rawConnect(hub.port);
  const transport = new HeldTransport(raw);
  const late = tls.connect({
    socket: transport as unknown as net.Socket,
    servername: 'myhub.azure-devices.net',
    rejectUnauthorized: false,
    maxVersion: 'TLSv1.2',
  });
  late.on('error', () => {});
  await new Promise<void>((resolve) => setImmediate(resolve)); // the ClientHello is written on the next tick
  transport.sendFirst(20);
  // Accepted in order: once the hub logged this session, it holds the two connections above too.
  const session = await tlsConnect(hub.port);
  const sessionEnded = once(session, 'end');
  await hub.stdoutLine(/"outcome":"HUBTLS_ACCEPTED"/);

  hub.child.kill('SIGTERM');
  await hub.stderrLine(/SIGTERM: listeners closed/);
  const refused = net.connect(hub.port, '127.0.0.1');
  const [err] = (await once(refused, 'error')) as [NodeJS.ErrnoException];
  t.equal(err.code, 'ECONNREFUSED', 'no new connections once SIGTERM arrived');

  transport.release();
  await once(late, 'secureConnect');
  t.pass('a handshake in flight at SIGTERM still completes');
  await sessionEnded;
  t.pass('an established session is ended by the hub (close_notify)');
  t.equal(await hub.exited, 0, 'exit code 0');

  const events = hub.events();
  const last = events.at(-1)!;
  t.equal(last.what, 'stopped', 'the last log line is the stopped event (log flushed)', {
    lastEvents: events.slice(-6),
  });
  t.match(last.msg, /2 handshake\(s\) in flight drained, 3 connection\(s\) closed/);
  const handshakes = events.filter((e) => e.event === 'handshake');
  t.equal(handshakes.length, 3, 'every connection got its one event');
  t.equal(handshakes.filter((e) => e.outcome === 'HUBTLS_ACCEPTED').length, 2);
  const timedOut = handshakes.find((e) => e.outcome === 'HUBTLS_HELLO_TIMEOUT');
  t.match(timedOut?.reason, /shutting down/, 'the silent connection is closed with a reason naming the shutdown');
  silent.destroy();
});
