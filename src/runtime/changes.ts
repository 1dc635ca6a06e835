/**
 * What the timeline and the admin API change in a running scenario, as data: each part emits the
 * change it made (after making it) on the runtime's change feed. In one process nobody listens; with
 * `--workers N` the primary sends each change to every worker, which applies it to its own copy of
 * the endpoint table, faults, clock and connections (src/cluster/), so a timeline step, an admin call
 * or a drop acts on every worker. Changes carry resolved values (the leaf generation, the issuing CA
 * rotated to, the fault id given, the clock instant), so applying one twice or late gives the same state.
 */
import type { ServedChainSource } from '../pki/types.js';

/** A fault given at run time (admin API): like a scenario's fault use, with its endpoint. */
export interface NewFault {
  endpoint: string;
  fault: string;
  params?: Record<string, unknown>;
  id?: string;
  probability?: number;
  everyNth?: number;
}

export type Change =
  | { kind: 'chain'; endpoint: string; source: ServedChainSource; keyType: 'rsa' | 'ec' }
  | { kind: 'leaf'; endpoint: string; generation: number }
  | { kind: 'intermediate'; endpoint: string; to: string }
  | { kind: 'profile'; endpoint: string; profile: string; minTlsVersion?: '1.2' }
  /** The scenario clock at an instant (ISO) and rate, as the primary read it. */
  | { kind: 'clock'; to: string; rate: number }
  | { kind: 'fault-start'; ref: string | (NewFault & { id: string }) }
  | { kind: 'fault-stop'; id: string }
  | { kind: 'drop'; endpoint?: string };

export class ChangeFeed {
  private readonly listeners = new Set<(c: Change) => void>();

  on(listener: (c: Change) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(c: Change): void {
    for (const l of this.listeners) l(c);
  }
}
