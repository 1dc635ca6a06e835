/**
 * One TCP connection, start to verdict: read the ClientHello, decide, refuse with an alert or hand
 * the socket to an engine, then to the after-TLS mode. Exactly one handshake event per connection.
 * Nothing a peer does can throw out of here.
 */
import type { Socket } from 'node:net';
import { readClientHello, HelloReadError, type RawHello } from './hello-reader.js';
import { parseClientHello, ClientHelloParseError, type ClientHelloSummary } from './clienthello.js';
import { decide } from './policy/decide.js';
import { explain } from './policy/explain.js';
import { ALERT, alertName } from './wire/constants.js';
import { alertRecord } from './wire/records.js';
import { recordOverflowHint } from './record-faults/explain.js';
import { HandshakeError, type Established } from './engines/types.js';
import type { Accepted, Decision } from './policy/types.js';
import type { HandshakeEvent, HelloView } from '../events/types.js';
import { failureOutcome } from '../events/failures.js';
import type { ListenerDeps } from './listener.js';
import { contextKey, contextOptions } from './contexts.js';
import { afterMode } from '../after/registry.js';
import type { ConnectionFaults } from '../faults/connection-faults.js';
import type { EndpointMaterial } from './contexts.js';
import { insecureAcceptance } from './record-faults/verdict.js';
import type { RecordFaults } from './record-faults/faults.js';
import type { Engine } from './engines/types.js';
import type { EffectiveProfile } from '../profiles/effective.js';

type Verdict = Omit<HandshakeEvent, 'type' | 'conn' | 'listener' | 'peer' | 'durationMs'>;

export function helloView(h: ClientHelloSummary): HelloView {
  const { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes } = h;
  return { sni, versions, suites, groups, sigalgs, alpn, maxFragmentLength, ja3, ja4, bytes };
}

/** Pre-check off: the predicted refusal becomes a note and OpenSSL alone decides. */
function opensslAlone(d: Exclude<Decision, Accepted>): Accepted {
  const notes = [...d.notes, `pre-check off; the policy predicted: ${explain(d)}`];
  return { ...d, notes, code: 'HUBTLS_ACCEPTED', version: 'TLSv1.2', suite: '(openssl decides)', keyType: 'rsa', chain: '', engine: 'openssl' };
}

export class Connection {
  private readonly started = process.hrtime.bigint();
  private timedOut = false;
  private reported = false;
  private timer: NodeJS.Timeout;
  /** Set when the hub stops this connection (graceful shutdown) before its verdict. */
  private stopReason?: string;
  /** The decrypted stream once established, so a shutdown can end it with close_notify. */
  private session?: Established['stream'];
  /** Scenario faults acting on this connection (none for most connections). */
  private faults?: ConnectionFaults;
  /** Record-level faults the mini engine carries out on this connection, if any. */
  private recordFaults?: RecordFaults;
  private readonly acceptedAt = Date.now();
  /** Captured at once: a destroyed socket no longer knows its peer. */
  readonly peer: string;

  constructor(
    private readonly socket: Socket,
    private readonly id: number,
    private readonly listenerName: string,
    private readonly endpointNames: readonly string[],
    private readonly deps: ListenerDeps,
  ) {
    socket.on('error', () => {}); // a reset is an outcome, never a crash; it surfaces as 'close'
    this.peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.timer = setTimeout(() => this.timeout(), deps.handshakeTimeoutMs);
  }

  async run(): Promise<void> {
    try {
      const raw = await readClientHello(this.socket);
      const hello = await parseClientHello(raw.message, raw.raw.length);
      await this.onHello(raw, hello);
    } catch (e) {
      this.onEarlyFailure(e);
    }
  }

  private timeout(): void {
    this.timedOut = true;
    this.socket.destroy();
  }

  /** Hub shutdown: a handshake still running ends now (reported as a timeout, reason says why); a session gets close_notify. */
  stop(): void {
    if (!this.reported) {
      this.stopReason = 'the hub is shutting down (SIGTERM) and its drain window ended';
      return this.timeout();
    }
    (this.session ?? this.socket).end();
  }

  private timeoutReason(what: string): string {
    return this.stopReason ? `${what} before ${this.stopReason}` : `${what} within ${this.deps.handshakeTimeoutMs} ms`;
  }

  private async onHello(raw: RawHello, hello: ClientHelloSummary): Promise<void> {
    const state = this.deps.runtime.policyState(this.endpointNames);
    const decision = decide(hello, state);
    // The context is built from the same snapshot the decision saw: one clock reading, one profile.
    const profile = state.endpoints.find((e) => e.name === decision.endpoint)!.profile;
    if (this.overEndpointLimit(decision.endpoint, hello)) return;
    this.deps.runtime.track(decision.endpoint, this.socket);
    if (await this.faultTookOver(decision, raw, hello)) return;
    if (decision.code === 'HUBTLS_ACCEPTED') return this.handshake(decision, profile, hello, raw.recordVersion);
    if (this.deps.precheck) return this.refuse(decision, hello, raw.recordVersion);
    await this.handshake(opensslAlone(decision), profile, hello, raw.recordVersion);
  }

  private overEndpointLimit(endpoint: string, hello: ClientHelloSummary): boolean {
    const max = this.deps.runtime.endpoint(endpoint).maxConnections;
    const refusal = this.deps.limits?.admitToEndpoint(endpoint, max, this.deps.runtime.openConnections(endpoint));
    if (!refusal) return false;
    this.socket.destroy();
    this.report({ outcome: 'HUBTLS_CONN_LIMIT', reason: refusal, endpoint, hello: helloView(hello) });
    return true;
  }

  private refuse(d: Exclude<Decision, Accepted>, hello: ClientHelloSummary, recordVersion: number): void {
    this.sendAlert(d.alert, recordVersion);
    this.report({ outcome: d.code, reason: explain(d), alertSent: alertName(d.alert), endpoint: d.endpoint, profile: d.profile, hello: helloView(hello), notes: d.notes });
  }

  private sendAlert(alert: number, recordVersion: number): void {
    clearTimeout(this.timer);
    this.socket.end(alertRecord(alert, recordVersion));
    this.socket.setTimeout(2000, () => this.socket.destroy());
  }

  /** Faults at the hello stage: one may own the connection from here (reset, stall, …). */
  private async faultTookOver(d: Decision, raw: RawHello, hello: ClientHelloSummary): Promise<boolean> {
    const side = { conn: this.id, endpoint: d.endpoint, socket: this.socket, acceptedAt: this.acceptedAt, helloBytes: raw.raw.length, hello: helloView(hello), suspendTimeout: () => clearTimeout(this.timer), resumeTimeout: () => this.restartTimer() };
    this.faults = this.deps.runtime.faultsFor(d.endpoint, side);
    const takeover = await this.faults?.atHello();
    if (takeover) this.report({ outcome: 'HUBTLS_FAULT_INJECTED', reason: takeover.ended, endpoint: d.endpoint, profile: d.profile, hello: side.hello });
    return takeover !== undefined;
  }

  private restartTimer(): void {
    clearTimeout(this.timer);
    if (!this.reported) this.timer = setTimeout(() => this.timeout(), this.deps.handshakeTimeoutMs);
  }

  private async handshake(d: Accepted, profile: EffectiveProfile, hello: ClientHelloSummary, recordVersion: number): Promise<void> {
    const ep = this.deps.runtime.endpoint(d.endpoint);
    const served = this.deps.runtime.materialOf(ep.name);
    const { material, key } = this.faults?.material(served) ?? { material: served, key: '' };
    const engine = this.pickEngine(d);
    const only = d.chain ? d.keyType : undefined; // pre-check off: both chains, OpenSSL alone picks
    const secureContext = () => this.deps.contexts.get(contextKey(ep.name, profile, material, ep.clientCert, only) + key, () => contextOptions(profile, material, ep.clientCert, only));
    const base = { endpoint: d.endpoint, profile: d.profile, hello: helloView(hello), engine: engine.name, mfl: d.mfl, notes: d.notes };
    try {
      const wire = this.faults?.wire(this.socket) ?? this.socket;
      const est = await engine.handshake(wire, { decision: d, profile, material, clientCert: ep.clientCert, secureContext, recordVersion, recordFaults: this.recordFaults });
      clearTimeout(this.timer);
      this.report({ ...base, ...this.acceptedFields(d, est, material) });
      this.faults?.established(est);
      this.startSession(est, d.endpoint);
    } catch (e) {
      this.report({ ...base, ...this.handshakeFailure(e, d, material, engine.name) });
      this.socket.destroy();
    }
  }

  /** decide()'s engine, or the mini engine when a fault asks for record-level misbehaviour it can run. */
  private pickEngine(d: Accepted): Engine {
    const rec = this.faults?.recordFaults();
    const mini = this.deps.engines.mini;
    if (rec && mini && this.deps.runtime.mini?.supports(d.version, d.suite)) {
      rec.apply();
      this.recordFaults = rec.faults;
      return mini;
    }
    if (rec) d.notes.push(`fault ${rec.ids.join(', ')} not applied: record-level faults run on the mini engine, which does not run ${d.version} ${d.suite}`);
    return this.deps.engines[d.engine] ?? this.deps.engines.openssl!;
  }

  private acceptedFields(d: Accepted, est: Established, material: EndpointMaterial): Verdict {
    const chain = material[est.keyType];
    const predicted = est.suite === d.suite && est.keyType === d.keyType;
    d.notes.push(...insecureAcceptance(this.recordFaults, chain?.chainId));
    return {
      outcome: 'HUBTLS_ACCEPTED',
      reason: explain(d) + (predicted ? '' : ` (engine negotiated ${est.version} ${est.suite} with the ${est.keyType.toUpperCase()} chain instead)`),
      negotiated: { version: est.version, suite: est.suite, alpn: est.alpn },
      chain: chain && { id: chain.chainId, keyType: chain.keyType, leafSha256: chain.leafSha256, root: chain.rootName },
      clientCert: est.peerCert && { subject: est.peerCert.subject.replace(/\n/g, ', '), sha1: est.peerCert.sha1, sha256: est.peerCert.sha256, notAfter: est.peerCert.notAfter },
    };
  }

  private handshakeFailure(e: unknown, d: Accepted, material: EndpointMaterial, engine: string): Verdict {
    if (this.timedOut) return { outcome: 'HUBTLS_HANDSHAKE_TIMEOUT', reason: this.timeoutReason('handshake did not finish') };
    const f = e instanceof HandshakeError ? e.failure : { kind: 'internal' as const, message: (e as Error).message };
    const chain = material[d.keyType];
    const hint = recordOverflowHint(f.alertReceived, d, this.recordFaults);
    return failureOutcome(f, { engine, chainId: chain?.chainId ?? d.chain, root: chain?.rootName ?? '?', hint, alertName });
  }

  private startSession(est: Established, endpointName: string): void {
    this.session = est.stream;
    est.stream.on('error', () => {}); // after-TLS modes report their own outcomes
    this.deps.runtime.session(this.socket, est.stream);
    const endpoint = this.deps.runtime.endpoint(endpointName);
    const ctx = { conn: this.id, peer: this.peer, endpoint, established: est, bus: this.deps.bus, now: () => this.deps.runtime.clock.now(), devices: this.deps.runtime.devices, socket: this.socket };
    try {
      afterMode(endpoint.after).start(ctx);
    } catch (e) {
      this.deps.bus.publish({ type: 'notice', level: 'error', what: 'after-tls', msg: `after-TLS mode ${endpoint.after} failed: ${(e as Error).message}`, conn: this.id });
      est.stream.destroy();
    }
  }

  private onEarlyFailure(e: unknown): void {
    clearTimeout(this.timer);
    if (this.timedOut) return this.report({ outcome: 'HUBTLS_HELLO_TIMEOUT', reason: this.timeoutReason('no complete ClientHello') });
    if (e instanceof HelloReadError) return this.onHelloReadError(e);
    if (e instanceof ClientHelloParseError) {
      this.sendAlert(ALERT.decodeError, 0x0301);
      return this.report({ outcome: 'HUBTLS_MALFORMED_HELLO', reason: e.message, alertSent: alertName(ALERT.decodeError) });
    }
    this.socket.destroy();
    this.report({ outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: `internal error: ${(e as Error).message}` });
  }

  private onHelloReadError(e: HelloReadError): void {
    if (e.fault === 'closed') return this.report({ outcome: 'HUBTLS_CLIENT_CLOSED', reason: e.message });
    if (e.fault === 'not-tls') {
      this.socket.destroy();
      return this.report({ outcome: 'HUBTLS_NOT_TLS', reason: e.message });
    }
    const alert = e.fault === 'record-overflow' ? ALERT.recordOverflow : ALERT.decodeError;
    this.sendAlert(alert, 0x0301);
    this.report({ outcome: 'HUBTLS_MALFORMED_HELLO', reason: e.message, alertSent: alertName(alert) });
  }

  private report(verdict: Verdict): void {
    clearTimeout(this.timer);
    if (this.reported) return;
    this.reported = true;
    const v = this.faults ? this.faults.verdict(verdict) : verdict;
    const durationMs = Number(process.hrtime.bigint() - this.started) / 1e6;
    this.deps.bus.publish({ type: 'handshake', conn: this.id, listener: this.listenerName, peer: this.peer, ...v, durationMs: Math.round(durationMs * 100) / 100 });
  }
}
