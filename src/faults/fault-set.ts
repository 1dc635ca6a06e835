/**
 * The faults of a running scenario: which are declared, which are active, and which act on a new
 * connection (endpoint scope, every Nth, probability). Counters live here so a reload that keeps a
 * fault keeps its state.
 */
import { HubtlsError } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { faultDefinition, withDefaults } from './params.js';
import type { AnyFault, FaultSpec } from './types.js';

export interface FaultInstance {
  spec: FaultSpec;
  def: AnyFault;
  /** Params with the definition's defaults applied. */
  params: Record<string, unknown>;
  active: boolean;
  /** Connections to the endpoint seen while active (for everyNth). */
  seen: number;
  /** Connections it acted on. */
  acted: number;
}

/** What the admin API and notices show about one fault. */
export interface FaultView {
  id: string;
  endpoint: string;
  fault: string;
  params: Record<string, unknown>;
  active: boolean;
  probability?: number;
  everyNth?: number;
  seen: number;
  acted: number;
  explanation: string;
}

export class FaultSet {
  private readonly byId = new Map<string, FaultInstance>();

  constructor(private readonly random: () => number = Math.random) {}

  /** Takes a new scenario's faults; one with the same id and definition keeps its state and counters. */
  replace(specs: readonly FaultSpec[]): void {
    const old = new Map(this.byId);
    this.byId.clear();
    for (const spec of specs) {
      const kept = old.get(spec.id);
      if (kept && JSON.stringify(kept.spec) === JSON.stringify(spec)) this.byId.set(spec.id, kept);
      else this.add(spec);
    }
  }

  add(spec: FaultSpec): FaultInstance {
    if (this.byId.has(spec.id))
      throw new HubtlsError(
        'HUBTLS_FAULT_EXISTS',
        `a fault with id ${spec.id} already exists`,
        'start it by id, or pick another id',
      );
    const def = faultDefinition(spec.fault);
    const inst: FaultInstance = {
      spec,
      def,
      params: withDefaults(def, spec.params),
      active: spec.active,
      seen: 0,
      acted: 0,
    };
    this.byId.set(spec.id, inst);
    return inst;
  }

  get(id: string): FaultInstance {
    const f = this.byId.get(id);
    if (f) return f;
    const ids = [...this.byId.keys()];
    throw new HubtlsError(
      'HUBTLS_UNKNOWN_FAULT_ID',
      `no fault with id "${id}"${didYouMean(id, ids)}`,
      ids.length ? `fault ids: ${ids.join(', ')}` : 'this scenario declares no faults',
    );
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  setActive(id: string, active: boolean): FaultInstance {
    const f = this.get(id);
    if (active && !f.active) f.seen = 0; // "every 3rd connection" counts from the start
    f.active = active;
    return f;
  }

  all(): FaultInstance[] {
    return [...this.byId.values()];
  }

  list(): FaultView[] {
    return this.all().map(view);
  }

  /** The faults that act on a new connection to `endpoint`; advances their counters. */
  select(endpoint: string): FaultInstance[] {
    return this.all().filter((f) => f.active && f.spec.endpoint === endpoint && this.fires(f));
  }

  private fires(f: FaultInstance): boolean {
    f.seen += 1;
    if (f.spec.everyNth !== undefined && f.seen % f.spec.everyNth !== 0) return false;
    return f.spec.probability === undefined || this.random() < f.spec.probability;
  }
}

export function view(f: FaultInstance): FaultView {
  const { id, endpoint, fault, probability, everyNth } = f.spec;
  return {
    id,
    endpoint,
    fault,
    params: f.params,
    active: f.active,
    probability,
    everyNth,
    seen: f.seen,
    acted: f.acted,
    explanation: f.def.explain(f.params as never),
  };
}
