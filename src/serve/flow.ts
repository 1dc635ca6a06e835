/**
 * One connection as a flow of stages — hello → decide → faults → engine → after-TLS → report — in
 * the sans-IO style of mitmproxy's layers: the flow takes events (what the socket, the faults or the
 * engine did) and returns commands (what to do next). It never touches a socket or a timer, so every
 * path is unit-tested without I/O; serve/connection.ts is the thin driver that runs the commands.
 * Exactly one `report` per connection.
 */
import type { RawHello } from '../tls/hello-reader.js';
import { HelloReadError } from '../tls/hello-reader.js';
import { ClientHelloParseError, type ClientHelloSummary } from '../tls/clienthello.js';
import { decide } from '../tls/policy/decide.js';
import type { DecisionCache } from '../tls/policy/decision-cache.js';
import { explain } from '../tls/policy/explain.js';
import { ALERT, alertName } from '../tls/wire/constants.js';
import { contextKey, contextOptions, type ClientCertMode, type ContextCache } from '../tls/contexts.js';
import type { EndpointMaterial } from '../pki/types.js';
import type { Engine, Established, HandshakePlan } from '../tls/engines/types.js';
import type { Accepted, Decision, EngineName, PolicyState } from '../tls/policy/types.js';
import type { RecordFaults } from '../tls/record-faults/faults.js';
import type { EffectiveProfile } from '../profiles/effective.js';
import type { HelloView } from '../events/types.js';
import type { OutcomeCode } from '../events/outcomes.js';
import type { ConnectionFaults } from '../faults/connection-faults.js';
import type { FaultTakeover } from '../faults/types.js';
import { acceptedVerdict, failedVerdict, helloView, opensslAlone, type Verdict } from './verdicts.js';

/** What the flow reads about the hub: snapshots and answers, no handles to the runtime itself. */
export interface FlowDeps {
  policyState(endpoints: readonly string[]): PolicyState;
  endpoint(name: string): { maxConnections: number; clientCert: ClientCertMode };
  material(name: string): EndpointMaterial;
  /** Why the endpoint refuses one more connection (its limit), or undefined. */
  admitToEndpoint(endpoint: string): string | undefined;
  engines: Partial<Record<EngineName, Engine>> & { openssl: Engine };
  contexts: ContextCache;
  /** false: refusals decide() predicts are noted and OpenSSL alone decides (tests of OpenSSL's own rules). */
  precheck: boolean;
  handshakeTimeoutMs: number;
  /** decide() once per (hello shape, policy snapshot); without it, once per connection. */
  decisions?: DecisionCache;
}

export type FlowEvent =
  /** `shape`: the hello's shape key (tls/hello-shape.ts), when it has one. */
  | { type: 'hello'; raw: RawHello; hello: ClientHelloSummary; shape?: string }
  | { type: 'hello-failed'; error: unknown }
  | { type: 'faults-checked'; faults?: ConnectionFaults; takeover?: FaultTakeover }
  | { type: 'established'; est: Established }
  | { type: 'engine-failed'; error: unknown }
  | { type: 'timeout' }
  | { type: 'stop' };

export type FlowCommand =
  /** Send this alert (in a record of this version), then close. */
  | { type: 'alert'; alert: number; recordVersion: number }
  | { type: 'destroy' }
  /** Count the connection under its endpoint (limits, drops). */
  | { type: 'track'; endpoint: string }
  /** Select the endpoint's faults and run their hello stage; answer with `faults-checked`. */
  | { type: 'check-faults'; endpoint: string; hello: HelloView; helloBytes: number }
  /** Run the engine; answer with `established` or `engine-failed`. */
  | { type: 'handshake'; engine: Engine; plan: HandshakePlan; faults?: ConnectionFaults }
  /** Hand the established stream to the endpoint's after-TLS mode (with the outcome its handshake event said). */
  | { type: 'session'; est: Established; endpoint: string; faults?: ConnectionFaults; handshakeOutcome: OutcomeCode }
  /** End the session (close_notify) or the socket. */
  | { type: 'end' }
  | { type: 'report'; verdict: Verdict };

const SHUTDOWN = 'the hub is shutting down (SIGTERM) and its drain window ended';

/** Where the flow stands between events. */
interface Pending {
  decision: Decision;
  profile: EffectiveProfile;
  hello: ClientHelloSummary;
  recordVersion: number;
  /** What the mini engine can run (from the same snapshot as the decision). */
  mini: PolicyState['mini'];
  faults?: ConnectionFaults;
  engine?: EngineName;
  accepted?: Accepted;
  material?: EndpointMaterial;
  recordFaults?: RecordFaults;
}

export class ConnectionFlow {
  private reported = false;
  private timedOut = false;
  private stopReason?: string;
  private pending?: Pending;

  constructor(
    private readonly endpointNames: readonly string[],
    private readonly deps: FlowDeps,
  ) {}

  /** True once the connection's handshake event has been reported. */
  get done(): boolean {
    return this.reported;
  }

  handle(e: FlowEvent): FlowCommand[] {
    switch (e.type) {
      case 'hello':
        return this.onHello(e.raw, e.hello, e.shape);
      case 'hello-failed':
        return this.onHelloFailed(e.error);
      case 'faults-checked':
        return this.onFaultsChecked(e.faults, e.takeover);
      case 'established':
        return this.onEstablished(e.est);
      case 'engine-failed':
        return this.onEngineFailed(e.error);
      case 'timeout':
        return this.onTimeout();
      case 'stop':
        return this.onStop();
    }
  }

  /** The handshake timer fired: close now; the verdict follows when the read or the engine gives up. */
  private onTimeout(): FlowCommand[] {
    this.timedOut = true;
    return [{ type: 'destroy' }];
  }

  private onStop(): FlowCommand[] {
    if (this.reported) return [{ type: 'end' }];
    this.stopReason = SHUTDOWN;
    this.timedOut = true;
    return [{ type: 'destroy' }];
  }

  private onHello(raw: RawHello, hello: ClientHelloSummary, shape?: string): FlowCommand[] {
    const state = this.deps.policyState(this.endpointNames);
    const decision = this.deps.decisions ? this.deps.decisions.decide(shape, hello, state) : decide(hello, state);
    // The context is built from the same snapshot the decision saw: one clock reading, one profile.
    const profile = state.endpoints.find((ep) => ep.name === decision.endpoint)!.profile;
    const refusal = this.deps.admitToEndpoint(decision.endpoint);
    if (refusal)
      return [
        { type: 'destroy' },
        ...this.report({
          outcome: 'HUBTLS_CONN_LIMIT',
          reason: refusal,
          endpoint: decision.endpoint,
          hello: helloView(hello),
        }),
      ];
    this.pending = { decision, profile, hello, recordVersion: raw.recordVersion, mini: state.mini };
    return [
      { type: 'track', endpoint: decision.endpoint },
      { type: 'check-faults', endpoint: decision.endpoint, hello: helloView(hello), helloBytes: raw.raw.length },
    ];
  }

  private onFaultsChecked(faults: ConnectionFaults | undefined, takeover: FaultTakeover | undefined): FlowCommand[] {
    const p = this.pending!;
    p.faults = faults;
    const d = p.decision;
    if (takeover)
      return [
        ...this.report({
          outcome: 'HUBTLS_FAULT_INJECTED',
          reason: takeover.ended,
          endpoint: d.endpoint,
          profile: d.profile,
          hello: helloView(p.hello),
        }),
      ];
    if (d.code === 'HUBTLS_ACCEPTED') return [this.handshake(d)];
    if (!this.deps.precheck) return [this.handshake(opensslAlone(d))];
    const verdict: Verdict = {
      outcome: d.code,
      reason: explain(d),
      alertSent: alertName(d.alert),
      endpoint: d.endpoint,
      profile: d.profile,
      hello: helloView(p.hello),
      notes: d.notes,
    };
    return [{ type: 'alert', alert: d.alert, recordVersion: p.recordVersion }, ...this.report(verdict)];
  }

  private handshake(policy: Accepted): FlowCommand {
    const p = this.pending!;
    const ep = this.deps.endpoint(policy.endpoint);
    const served = this.deps.material(policy.endpoint); // one draw per connection for a weighted chain
    const drawn = served[policy.keyType]?.chainId;
    const d = policy.chain && drawn ? { ...policy, chain: drawn } : policy;
    const { material, key } = p.faults?.material(served) ?? { material: served, key: '' };
    const engine = this.pickEngine(d);
    const only = d.chain ? d.keyType : undefined; // pre-check off: both chains, OpenSSL alone picks
    const profile = p.profile;
    // Built only when the engine asks (OpenSSL does; the mini engine does not): the key hashes the material.
    const secureContext = () =>
      this.deps.contexts.get(contextKey(d.endpoint, profile, material, ep.clientCert, only) + key, () =>
        contextOptions(profile, material, ep.clientCert, only),
      );
    Object.assign(p, { accepted: d, material, engine: engine.name });
    const plan: HandshakePlan = {
      decision: d,
      profile,
      material,
      clientCert: ep.clientCert,
      secureContext,
      recordVersion: p.recordVersion,
      recordFaults: p.recordFaults,
    };
    return { type: 'handshake', engine, plan, faults: p.faults };
  }

  /** decide()'s engine, or the mini engine when a fault asks for record-level misbehaviour it can run. */
  private pickEngine(d: Accepted): Engine {
    const p = this.pending!;
    const rec = p.faults?.recordFaults();
    const mini = this.deps.engines.mini;
    if (rec && mini && p.mini?.supports(d.version, d.suite)) {
      rec.apply();
      p.recordFaults = rec.faults;
      return mini;
    }
    if (rec)
      d.notes.push(
        `fault ${rec.ids.join(', ')} not applied: record-level faults run on the mini engine, which does not run ${d.version} ${d.suite}`,
      );
    return this.deps.engines[d.engine] ?? this.deps.engines.openssl;
  }

  /** What every verdict of an accepted handshake says first, whatever the engine then did. */
  private base(): Omit<Verdict, 'outcome' | 'reason'> {
    const p = this.pending!;
    const d = p.accepted!;
    return {
      endpoint: d.endpoint,
      profile: d.profile,
      hello: helloView(p.hello),
      engine: p.engine,
      mfl: d.mfl,
      notes: d.notes,
    };
  }

  private onEstablished(est: Established): FlowCommand[] {
    const p = this.pending!;
    const verdict = { ...this.base(), ...acceptedVerdict(p.accepted!, est, p.material!, p.recordFaults) };
    const report = this.report(verdict);
    // HUBTLS_FAULT_INJECTED when a fault acted on the handshake: a later verdict amends that, not ACCEPTED.
    const handshakeOutcome = report[0]?.type === 'report' ? report[0].verdict.outcome : verdict.outcome;
    return [...report, { type: 'session', est, endpoint: p.accepted!.endpoint, faults: p.faults, handshakeOutcome }];
  }

  private onEngineFailed(error: unknown): FlowCommand[] {
    const p = this.pending!;
    const why = this.timedOut
      ? { outcome: 'HUBTLS_HANDSHAKE_TIMEOUT' as const, reason: this.timeoutReason('handshake did not finish') }
      : failedVerdict(error, p.accepted!, p.material!, p.recordFaults, p.engine);
    return [...this.report({ ...this.base(), ...why }), { type: 'destroy' }];
  }

  private onHelloFailed(e: unknown): FlowCommand[] {
    if (this.timedOut)
      return this.report({ outcome: 'HUBTLS_HELLO_TIMEOUT', reason: this.timeoutReason('no complete ClientHello') });
    if (e instanceof HelloReadError) return this.onHelloReadError(e);
    if (e instanceof ClientHelloParseError) return this.malformed(ALERT.decodeError, e.message);
    return [
      { type: 'destroy' },
      ...this.report({ outcome: 'HUBTLS_HANDSHAKE_FAILED', reason: `internal error: ${(e as Error).message}` }),
    ];
  }

  private onHelloReadError(e: HelloReadError): FlowCommand[] {
    if (e.fault === 'closed') return this.report({ outcome: 'HUBTLS_CLIENT_CLOSED', reason: e.message });
    if (e.fault === 'not-tls')
      return [{ type: 'destroy' }, ...this.report({ outcome: 'HUBTLS_NOT_TLS', reason: e.message })];
    return this.malformed(e.fault === 'record-overflow' ? ALERT.recordOverflow : ALERT.decodeError, e.message);
  }

  private malformed(alert: number, reason: string): FlowCommand[] {
    return [
      { type: 'alert', alert, recordVersion: 0x0301 },
      ...this.report({ outcome: 'HUBTLS_MALFORMED_HELLO', reason, alertSent: alertName(alert) }),
    ];
  }

  private timeoutReason(what: string): string {
    return this.stopReason ? `${what} before ${this.stopReason}` : `${what} within ${this.deps.handshakeTimeoutMs} ms`;
  }

  /** The one handshake event of this connection, shaped by the faults that acted; nothing once reported. */
  private report(verdict: Verdict): FlowCommand[] {
    if (this.reported) return [];
    this.reported = true;
    const faults = this.pending?.faults;
    return [{ type: 'report', verdict: faults ? faults.verdict(verdict) : verdict }];
  }
}
