/**
 * The socket driver of one connection: reads the ClientHello, feeds what happens to the sans-IO
 * ConnectionFlow (serve/flow.ts) and carries out the commands it returns — alerts, engine runs,
 * fault stages, the after-TLS session, the handshake event. Nothing a peer does can throw out of here.
 */
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { SessionWire } from '../after/types.js';
import { readClientHello } from '../tls/hello-reader.js';
import { parseClientHello } from '../tls/clienthello.js';
import type { HelloCache } from '../tls/hello-cache.js';
import { alertRecord } from '../tls/wire/records.js';
import { TLS_SIGNAL, type Established, type TlsSignal } from '../tls/engines/types.js';
import { alertName } from '../tls/wire/constants.js';
import type { EventBus } from '../events/bus.js';
import type { ConnectionFaults } from '../faults/connection-faults.js';
import type { FaultSide } from '../runtime/faults.js';
import { ConnectionFlow, type FlowCommand, type FlowDeps, type FlowEvent } from './flow.js';
import type { Verdict } from './verdicts.js';
import { markClosedByHub } from '../util/hub-close.js';
import { SocketWire } from './wire.js';
import type { OutcomeCode } from '../events/outcomes.js';

/** Who the connection is, for the after-TLS session. */
export interface SessionStart {
  conn: number;
  peer: string;
  endpoint: string;
  established: Established;
  socket: SessionWire;
  /** What the connection's handshake event said (HUBTLS_ACCEPTED, or HUBTLS_FAULT_INJECTED when a fault acted). */
  handshakeOutcome: OutcomeCode;
}

/** What the driver needs beyond the flow's reads: side effects, each narrow. */
export interface ServeDeps extends FlowDeps {
  bus: EventBus;
  track(endpoint: string, socket: Socket): void;
  /** The stream a drop must destroy once the handshake is done (see ConnectionRegistry.session). */
  trackSession(socket: Socket, stream: Duplex): void;
  faultsFor(endpoint: string, side: FaultSide): ConnectionFaults | undefined;
  /** Hands the established stream to the endpoint's after-TLS mode. */
  startSession(s: SessionStart): void;
  /** Summaries per hello shape; without it every ClientHello is parsed in full. */
  hellos?: HelloCache;
}

export class Connection {
  private readonly started = process.hrtime.bigint();
  private readonly acceptedAt = Date.now();
  private readonly flow: ConnectionFlow;
  private timer: NodeJS.Timeout;
  /** The decrypted stream once established, so a shutdown can end it with close_notify. */
  private session?: Duplex;
  private tlsFailed = false;
  /** Captured at once: a destroyed socket no longer knows its peer. */
  readonly peer: string;

  constructor(
    private readonly socket: Socket,
    private readonly id: number,
    private readonly listenerName: string,
    endpointNames: readonly string[],
    private readonly deps: ServeDeps,
  ) {
    socket.on('error', () => {}); // a reset is an outcome, never a crash; it surfaces as 'close'
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.flow = new ConnectionFlow(endpointNames, deps);
    this.timer = setTimeout(() => this.timeout(), deps.handshakeTimeoutMs);
  }

  async run(): Promise<void> {
    let first: FlowEvent;
    try {
      const raw = await readClientHello(this.socket);
      const parsed = this.deps.hellos
        ? await this.deps.hellos.parse(raw.message, raw.raw.length)
        : { hello: await parseClientHello(raw.message, raw.raw.length) };
      first = { type: 'hello', raw, ...parsed };
    } catch (error) {
      first = { type: 'hello-failed', error };
    }
    await this.feed(first);
  }

  /** Hub shutdown: a handshake still running ends now (reported as a timeout, reason says why); a session gets close_notify. */
  stop(): void {
    void this.feed({ type: 'stop' });
  }

  private timeout(): void {
    void this.feed({ type: 'timeout' });
  }

  private async feed(e: FlowEvent): Promise<void> {
    for (const c of this.flow.handle(e)) await this.exec(c);
  }

  private async exec(c: FlowCommand): Promise<void> {
    switch (c.type) {
      case 'alert':
        return this.sendAlert(c.alert, c.recordVersion);
      case 'destroy':
        return void this.socket.destroy();
      case 'end':
        markClosedByHub(this.socket);
        return void (this.session ?? this.socket).end();
      case 'track':
        return this.deps.track(c.endpoint, this.socket);
      case 'report':
        return this.publish(c.verdict);
      case 'check-faults':
        return this.checkFaults(c);
      case 'handshake':
        return this.handshake(c);
      case 'session':
        return this.startSession(c);
    }
  }

  private sendAlert(alert: number, recordVersion: number): void {
    clearTimeout(this.timer);
    this.socket.end(alertRecord(alert, recordVersion));
    // The hello reader paused the socket: read on (and drop) so the client's FIN closes it at once;
    // paused, it held the socket and its ClientHello until the timeout after every client had gone.
    this.socket.resume();
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  /** Faults at the hello stage: one may own the connection from here (reset, stall, …). */
  private async checkFaults(c: Extract<FlowCommand, { type: 'check-faults' }>): Promise<void> {
    const side: FaultSide = {
      conn: this.id,
      endpoint: c.endpoint,
      socket: this.socket,
      acceptedAt: this.acceptedAt,
      helloBytes: c.helloBytes,
      hello: c.hello,
      suspendTimeout: () => clearTimeout(this.timer),
      resumeTimeout: () => this.restartTimer(),
    };
    let faults: ConnectionFaults | undefined;
    try {
      faults = this.deps.faultsFor(c.endpoint, side);
      const takeover = await faults?.atHello();
      await this.feed({ type: 'faults-checked', faults, takeover });
    } catch (error) {
      await this.feed({ type: 'hello-failed', error });
    }
  }

  private restartTimer(): void {
    clearTimeout(this.timer);
    if (!this.flow.done) this.timer = setTimeout(() => this.timeout(), this.deps.handshakeTimeoutMs);
  }

  private async handshake(c: Extract<FlowCommand, { type: 'handshake' }>): Promise<void> {
    let est: Established;
    try {
      est = await c.engine.handshake(c.faults?.wire(this.socket) ?? this.socket, c.plan);
    } catch (error) {
      return this.feed({ type: 'engine-failed', error });
    }
    await this.feed({ type: 'established', est });
  }

  private startSession({ est, endpoint, faults, handshakeOutcome }: Extract<FlowCommand, { type: 'session' }>): void {
    clearTimeout(this.timer);
    faults?.established(est);
    this.session = est.stream;
    est.stream.on('error', () => {}); // after-TLS modes report their own outcomes; TLS errors come as signals
    est.stream.on(TLS_SIGNAL, (s: TlsSignal) => this.onTlsSignal(endpoint, s));
    this.deps.trackSession(this.socket, est.stream);
    const wire = new SocketWire(this.socket);
    this.deps.startSession({
      conn: this.id,
      peer: this.peer,
      endpoint,
      established: est,
      socket: wire,
      handshakeOutcome,
    });
  }

  /** What the TLS layer saw under the after-TLS mode, whichever it is: reported here, once per fatal error. */
  private onTlsSignal(endpoint: string, s: TlsSignal): void {
    const base = { type: 'session', conn: this.id, endpoint, peer: this.peer, protocol: 'tls', ok: false } as const;
    if (s.kind === 'renegotiation-refused') {
      const reason = 'client-initiated renegotiation refused (no_renegotiation): Azure does not renegotiate';
      return this.deps.bus.publish({ ...base, action: 'renegotiation-refused', reason });
    }
    if (this.tlsFailed) return;
    this.tlsFailed = true;
    const { kind, message, alertSent, alertReceived } = s.failure;
    const alert =
      alertReceived === undefined ? '' : ` (client sent alert ${alertName(alertReceived)}(${alertReceived}))`;
    this.deps.bus.publish({
      ...base,
      action: 'tls-error',
      reason: `fatal TLS error after the handshake, connection closed: ${message}${alert}`,
      detail: { kind, alertSent, alertReceived },
    });
    this.socket.destroy();
  }

  private publish(verdict: Verdict): void {
    clearTimeout(this.timer);
    const durationMs = Math.round((Number(process.hrtime.bigint() - this.started) / 1e6) * 100) / 100;
    this.deps.bus.publish({
      type: 'handshake',
      conn: this.id,
      listener: this.listenerName,
      peer: this.peer,
      ...verdict,
      durationMs,
    });
  }
}
