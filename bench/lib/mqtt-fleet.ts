/**
 * A lean fleet of IoT Hub MQTT devices (SAS) for the reconnect-storm bench, run inside the load
 * generator process (bench/load.ts): TLS, CONNECT with the SDKs' username and a SAS token, CONNACK.
 * No SDK: 10,000 of them must fit in one process. When the hub drops them, every device reconnects
 * at once (at most `concurrency` handshakes in flight from this process, as a fleet of many
 * machines would not queue behind one), and the fleet reports when the last one has CONNACK 0 again.
 */
import net from 'node:net';
import tls from 'node:tls';
import mqtt from 'mqtt-packet';
import { signSas } from '../../src/core/sas.js';

export interface FleetJob {
  port: number;
  host: string;
  ciphers: string;
  count: number;
  concurrency: number;
  /** Device ids are `${prefix}${i}`; every device has this SAS key. */
  prefix: string;
  key: string;
  /** Source addresses 127.0.0.x to spread over (ephemeral ports run out near 28,000 per address). */
  sources: number;
  keepaliveSeconds: number;
}

const API = 'api-version=2021-04-12';

/** One device connection: resolves once CONNACK 0 came; rejects on any other answer or a close. */
function connectDevice(job: FleetJob, i: number): Promise<tls.TLSSocket> {
  const id = `${job.prefix}${i}`;
  const expiry = Math.floor(Date.now() / 1000) + 3600;
  const connect = mqtt.generate({
    cmd: 'connect',
    protocolId: 'MQTT',
    protocolVersion: 4,
    clean: false,
    clientId: id,
    keepalive: job.keepaliveSeconds,
    username: `${job.host}/${id}/?${API}`,
    password: Buffer.from(signSas(`${job.host}/devices/${id}`, job.key, expiry)),
  });
  return new Promise((resolve, reject) => {
    const tcp = net.connect({ port: job.port, host: '127.0.0.1', localAddress: `127.0.0.${1 + (i % job.sources)}` });
    tcp.on('error', () => {}); // surfaces on the TLS socket too
    const s = tls.connect({
      socket: tcp,
      servername: job.host,
      ciphers: job.ciphers,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.2',
      rejectUnauthorized: false,
    });
    const parser = mqtt.parser();
    const fail = (e: Error) => (s.destroy(), reject(e));
    parser.on('packet', (p) => {
      if (p.cmd !== 'connack') return fail(new Error(`expected CONNACK, got ${p.cmd}`));
      if (p.returnCode !== 0) return fail(new Error(`CONNACK ${p.returnCode}`));
      s.off('data', onData).off('close', onClose).off('error', fail);
      s.on('error', () => {});
      resolve(s);
    });
    const onData = (d: Buffer) => void parser.parse(d);
    const onClose = () => reject(new Error('closed before CONNACK'));
    s.once('secureConnect', () => s.write(connect));
    s.on('data', onData).once('close', onClose).once('error', fail);
  });
}

export class Fleet {
  private readonly sockets: Array<tls.TLSSocket | undefined>;
  private readonly waiting: number[] = [];
  private active = 0;
  private connected = 0;
  private armed = false;
  private firstDrop = 0;
  errors = 0;
  private onAllBack?: () => void;

  constructor(private readonly job: FleetJob) {
    this.sockets = new Array<tls.TLSSocket | undefined>(job.count);
  }

  /** Connects every device; resolves when all have CONNACK 0 (failures are retried). */
  async connectAll(): Promise<void> {
    for (let i = 0; i < this.job.count; i++) this.waiting.push(i);
    await new Promise<void>((resolve) => {
      this.onAllBack = resolve;
      this.pump();
    });
  }

  /** From now on a dropped device reconnects; resolves with the seconds from the first drop to the last CONNACK 0. */
  storm(): Promise<number> {
    this.armed = true;
    return new Promise((resolve) => (this.onAllBack = () => resolve((performance.now() - this.firstDrop) / 1000)));
  }

  get open(): number {
    return this.connected;
  }

  closeAll(): void {
    this.armed = false;
    for (const s of this.sockets) s?.destroy();
  }

  private pump(): void {
    while (this.active < this.job.concurrency && this.waiting.length) void this.one(this.waiting.shift()!);
  }

  private async one(i: number): Promise<void> {
    this.active++;
    try {
      const s = await connectDevice(this.job, i);
      this.sockets[i] = s;
      this.connected++;
      s.once('close', () => this.dropped(i));
      if (this.connected === this.job.count) this.onAllBack?.();
    } catch {
      this.errors++;
      this.waiting.push(i); // as an SDK does: try again
    } finally {
      this.active--;
      this.pump();
    }
  }

  private dropped(i: number): void {
    this.connected--;
    this.sockets[i] = undefined;
    if (!this.armed) return;
    if (this.firstDrop === 0) this.firstDrop = performance.now();
    this.waiting.push(i);
    this.pump();
  }
}
