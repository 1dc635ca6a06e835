/**
 * Prometheus metrics fed from the event bus (prom-client, one registry per hub so several hubs in
 * one process — tests, `hubtls test` — never share counters).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventBus } from './bus.js';
import type { HubEvent } from './types.js';

export interface MetricsSource {
  /** Open connections per endpoint right now. */
  openConnections(): Record<string, number>;
}

/** Handshakes finish in milliseconds on loopback; refusals in well under one. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class HubMetrics {
  readonly registry = new Registry();
  private readonly handshakes: Counter<'outcome' | 'profile' | 'endpoint'>;
  private readonly latency: Histogram<'outcome'>;
  private readonly verdicts: Counter<'outcome' | 'handshake_outcome' | 'endpoint'>;
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, source: MetricsSource, opts: { processMetrics?: boolean } = {}) {
    const registers = [this.registry];
    this.handshakes = new Counter({
      name: 'hubtls_handshakes_total',
      help: 'Connections that reached a verdict, by outcome code, profile and endpoint',
      labelNames: ['outcome', 'profile', 'endpoint'],
      registers,
    });
    this.latency = new Histogram({
      name: 'hubtls_handshake_duration_seconds',
      help: 'Time from accept to verdict',
      labelNames: ['outcome'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    // Counters only grow: a connection counted as accepted is not moved, its later verdict is counted here.
    this.verdicts = new Counter({
      name: 'hubtls_verdicts_total',
      help:
        'Connections whose final verdict came after their handshake was counted (a silent close after ' +
        'HUBTLS_ACCEPTED = HUBTLS_CLIENT_REJECTED_CHAIN), by final outcome, handshake outcome and endpoint',
      labelNames: ['outcome', 'handshake_outcome', 'endpoint'],
      registers,
    });
    new Gauge({
      name: 'hubtls_active_connections',
      help: 'Connections open now, by endpoint',
      labelNames: ['endpoint'],
      registers,
      collect() {
        for (const [endpoint, n] of Object.entries(source.openConnections())) this.set({ endpoint }, n);
      },
    });
    if (opts.processMetrics) collectDefaultMetrics({ register: this.registry, prefix: 'hubtls_' });
    this.unsubscribe = bus.subscribe((e) => this.onEvent(e));
  }

  private onEvent(e: HubEvent): void {
    if (e.type === 'verdict')
      return void this.verdicts.inc({
        outcome: e.outcome,
        handshake_outcome: e.handshakeOutcome,
        endpoint: e.endpoint ?? 'none',
      });
    if (e.type !== 'handshake') return;
    // Connections refused before routing (not TLS, malformed) have no endpoint or profile.
    this.handshakes.inc({ outcome: e.outcome, profile: e.profile ?? 'none', endpoint: e.endpoint ?? 'none' });
    this.latency.observe({ outcome: e.outcome }, e.durationMs / 1000);
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  close(): void {
    this.unsubscribe();
  }
}
