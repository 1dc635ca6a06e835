/**
 * One MQTT 3.1.1 server-side session over the decrypted TLS stream, on mqtt-packet (parser and
 * generator). It owns framing, CONNACK, PUBACK, SUBACK, keep-alive and closing; what CONNECT,
 * PUBLISH and SUBSCRIBE mean (IoT Hub or DPS) is the behaviour's business.
 */
import type { Duplex } from 'node:stream';
import mqttPacket, {
  type IConnectPacket,
  type IPublishPacket,
  type ISubscribePacket,
  type Packet,
  type QoS,
} from 'mqtt-packet';
import { topicMatches } from './topics.js';
import { CONNECT_LIMIT, FrameTracker, limitReason, PACKET_LIMIT } from './limits.js';

export interface MqttBehaviour {
  /** CONNECT → CONNACK return code: 0 accepts, 5 "not authorized", … */
  connect(p: IConnectPacket): number;
  publish(topic: string, payload: Buffer, p: IPublishPacket): void;
  /** Granted QoS for one filter, or 128 to refuse it. */
  subscribe(filter: string, qos: QoS): number;
  /** After the SUBACK went out: the filters granted (deliveries for them may start now). */
  subscribed?(filters: string[]): void;
  /** True: do not send this acknowledgement (a qualification case withholds it; see withhold.ts). */
  withhold?(ack: 'puback' | 'suback' | 'pingresp', messageId?: number): boolean;
  /** `violation`: hubtls closed it for a protocol violation or timeout (worth an event even before CONNECT). */
  closed(reason: string, violation: boolean): void;
}

/** What carries the session: the TLS stream itself, or a WebSocket on the HTTPS port (session events, device links). */
export type MqttTransport = 'mqtt' | 'mqtt-ws';

/** IoT Hub closes a connection that sends no CONNECT soon after TLS. */
export const CONNECT_TIMEOUT_MS = 30_000;
const OPTS = { protocolVersion: 4 } as const;

export class MqttSession {
  /** Made on the first byte (see parse()): a client that closes right after TLS never needs one. */
  private parser?: ReturnType<typeof mqttPacket.parser>;
  private readonly frames = new FrameTracker();
  private readonly subscriptions = new Map<string, QoS>();
  private behaviour?: MqttBehaviour;
  private connected = false;
  private closing?: string;
  private violation = false;
  private nextId = 1;
  /** QoS 1 deliveries waiting for the device's PUBACK, by packet id. */
  private readonly acks = new Map<number, () => void>();
  private idleTimer?: NodeJS.Timeout;
  /** 1.5 × the device's keep-alive (MQTT 3.1.1 §3.1.2.10); 0 = none. */
  private keepaliveMs = 0;

  constructor(private readonly stream: Duplex) {}

  start(behaviour: MqttBehaviour): void {
    this.behaviour = behaviour;
    this.stream.on('data', (chunk: Buffer) => this.feed(chunk));
    this.stream.once('close', () => this.finish(this.closing ?? 'connection closed'));
    this.arm(CONNECT_TIMEOUT_MS, 'no CONNECT within 30 s of the TLS handshake');
  }

  /**
   * Each packet's remaining length is checked against the limit in force (smaller before a good
   * CONNECT) before its body reaches the parser, which would otherwise buffer whatever is claimed.
   * Nothing a device sends may throw out of here: a failure closes this session only.
   */
  private feed(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length && !this.closing) {
      const step = this.frames.step(chunk, from);
      this.parse(chunk.subarray(from, step.end));
      from = step.end;
      if (step.malformed) return this.close('malformed MQTT from the device: remaining length over 4 bytes', true);
      const limit = this.connected ? PACKET_LIMIT : CONNECT_LIMIT;
      if (step.header && step.header.length > limit && !this.closing)
        return this.close(limitReason(step.header.name, step.header.length, this.connected), true);
    }
  }

  private parse(bytes: Buffer): void {
    if (this.closing || bytes.length === 0) return;
    try {
      (this.parser ??= this.newParser()).parse(bytes);
    } catch (e) {
      this.close(`internal error handling the device's packet: ${(e as Error).message}`, true);
    }
  }

  /**
   * mqtt-packet's parser builds a stream and a buffer list: a fifth of this session's start-up cost,
   * for the clients that close right after the handshake (issue 17), so it is made when bytes come.
   */
  private newParser(): ReturnType<typeof mqttPacket.parser> {
    const parser = mqttPacket.parser(OPTS);
    parser.on('packet', (p: Packet) => this.onPacket(p));
    parser.on('error', (e: Error) => this.close(`malformed MQTT from the device: ${e.message}`, true));
    return parser;
  }

  /**
   * Sends a PUBLISH if the device subscribed to a matching filter; false when it did not.
   * `onAck` runs when the device PUBACKs it (at once when sent at QoS 0; never, if the connection ends first).
   */
  deliver(topic: string, payload: Buffer | string, qos: QoS = 0, onAck?: () => void): boolean {
    const granted = [...this.subscriptions].filter(([f]) => topicMatches(f, topic)).map(([, q]) => q);
    if (!this.connected || granted.length === 0) return false;
    const q = Math.min(qos, Math.max(...granted)) as QoS;
    const messageId = q > 0 ? this.messageId() : undefined;
    if (messageId !== undefined && onAck) this.acks.set(messageId, onAck);
    this.send({
      cmd: 'publish',
      topic,
      payload: Buffer.from(payload),
      qos: q,
      retain: false,
      dup: false,
      ...(messageId !== undefined ? { messageId } : {}),
    });
    if (messageId === undefined) onAck?.();
    return true;
  }

  /** Ends the session (flushing what was queued); `reason` goes to behaviour.closed(). */
  close(reason: string, violation = false): void {
    if (this.closing) return;
    this.closing = reason;
    this.violation = violation;
    this.stream.end();
    this.stream.once('finish', () => this.stream.destroy());
  }

  private send(p: Packet): void {
    if (!this.stream.writable) return;
    this.stream.write(mqttPacket.generate(p, OPTS));
  }

  private messageId(): number {
    const id = this.nextId;
    this.nextId = (this.nextId % 65535) + 1;
    return id;
  }

  private arm(ms: number, reason: string): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.close(reason, true), ms);
    this.idleTimer.unref();
  }

  private onPacket(p: Packet): void {
    if (this.closing) return;
    if (!this.connected && p.cmd !== 'connect')
      return this.close(`first packet was ${p.cmd.toUpperCase()}, not CONNECT`, true);
    if (this.connected && this.keepaliveMs) this.arm(this.keepaliveMs, 'keep-alive expired');
    this.dispatch(p);
  }

  private dispatch(p: Packet): void {
    switch (p.cmd) {
      case 'connect':
        return this.onConnect(p);
      case 'publish':
        return this.onPublish(p);
      case 'subscribe':
        return this.onSubscribe(p);
      case 'unsubscribe':
        for (const f of p.unsubscriptions) this.subscriptions.delete(f);
        return this.send({ cmd: 'unsuback', messageId: p.messageId ?? 0, granted: [] });
      case 'pingreq':
        return this.behaviour!.withhold?.('pingresp') ? undefined : this.send({ cmd: 'pingresp' });
      case 'disconnect':
        return this.close('device sent DISCONNECT');
      case 'puback':
        return this.onPuback(p.messageId ?? 0);
      default:
        return this.close(`unexpected ${p.cmd.toUpperCase()} packet`, true);
    }
  }

  private onConnect(p: IConnectPacket): void {
    if (this.connected) return this.close('second CONNECT on one connection', true);
    if (p.protocolVersion !== 4 && p.protocolVersion !== 3) {
      this.send({ cmd: 'connack', returnCode: 1, sessionPresent: false });
      return this.close(`MQTT protocol version ${p.protocolVersion} is not supported (IoT Hub speaks 3.1.1)`, true);
    }
    const rc = this.behaviour!.connect(p);
    this.send({ cmd: 'connack', returnCode: rc, sessionPresent: false });
    if (rc !== 0) return this.close(`CONNACK ${rc}`);
    this.connected = true;
    this.keepaliveMs = (p.keepalive ?? 0) * 1500;
    if (this.keepaliveMs) this.arm(this.keepaliveMs, 'keep-alive expired');
    else clearTimeout(this.idleTimer);
  }

  private onPublish(p: IPublishPacket): void {
    if (p.qos === 2)
      return this.close(
        `PUBLISH with QoS 2 on ${p.topic}: IoT Hub does not support QoS 2 and closes the connection`,
        true,
      );
    this.behaviour!.publish(p.topic, Buffer.from(p.payload), p);
    if (p.qos === 1 && !this.closing && !this.behaviour!.withhold?.('puback', p.messageId))
      this.send({ cmd: 'puback', messageId: p.messageId ?? 0 });
  }

  private onPuback(messageId: number): void {
    const ack = this.acks.get(messageId);
    this.acks.delete(messageId);
    ack?.();
  }

  private onSubscribe(p: ISubscribePacket): void {
    const granted = p.subscriptions.map((s) => {
      const q = this.behaviour!.subscribe(s.topic, Math.min(s.qos, 1) as QoS);
      if (q < 128) this.subscriptions.set(s.topic, q as QoS);
      return q;
    });
    if (this.behaviour!.withhold?.('suback', p.messageId)) return;
    this.send({ cmd: 'suback', messageId: p.messageId ?? 0, granted });
    const ok = p.subscriptions.filter((_s, i) => granted[i]! < 128).map((s) => s.topic);
    if (ok.length > 0) this.behaviour?.subscribed?.(ok);
  }

  private finish(reason: string): void {
    clearTimeout(this.idleTimer);
    this.acks.clear();
    const b = this.behaviour;
    this.behaviour = undefined;
    b?.closed(reason, this.violation);
  }
}
