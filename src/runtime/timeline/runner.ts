/**
 * The timeline engine: runs a scenario's steps one after the other. Only the waiting step's
 * trigger is armed: `at` (scenario clock; re-armed when the clock moves), `after` N handshakes
 * since the previous step, `delay` (real time since the previous step) or `on: admin`
 * (`trigger(id)`). A step's actions run in order, then one `step` notice is published.
 */
import { HubtlsError } from '../../errors.js';
import { didYouMean } from '../../util/suggest.js';
import type { EventBus } from '../../events/bus.js';
import type { ScenarioClock } from '../../scenario/clock.js';
import type { Action, CompiledStep, Trigger } from '../../scenario/timeline/compile.js';
import { describeAction, describeTrigger } from '../../scenario/timeline/words.js';

/** What running a step needs from the rest of the hub (the runtime parts, through timeline/actions.ts). */
export interface TimelineHost {
  clock: ScenarioClock;
  bus: EventBus;
  apply(action: Action): Promise<void>;
}

export type StepState = 'done' | 'waiting' | 'running' | 'pending' | 'failed';

export interface StepStatus {
  id: string;
  index: number;
  trigger: string;
  actions: string[];
  state: StepState;
  firedAt?: string;
  firedBy?: string;
  error?: string;
}

/** setTimeout's ceiling (~24.8 days); longer waits re-arm. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Timeline {
  private cursor = 0;
  private running = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  private counted = 0;
  private readonly unsubscribe: () => void;
  private readonly status: StepStatus[];
  private idle: Promise<void> = Promise.resolve();

  constructor(
    private steps: readonly CompiledStep[],
    private readonly host: TimelineHost,
  ) {
    this.status = steps.map((s) => ({
      id: s.id,
      index: s.index,
      trigger: describeTrigger(s.trigger),
      actions: s.actions.map(describeAction),
      state: 'pending',
    }));
    this.unsubscribe = host.bus.subscribe((e) => {
      if (e.type === 'handshake') this.onHandshake(e.endpoint);
      else if (e.type === 'notice' && e.what === 'clock') this.clockMoved();
    });
  }

  start(): void {
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  /** Where the story is: every step with its state. */
  statuses(): StepStatus[] {
    return this.status.map((s) => ({ ...s }));
  }

  /**
   * Same steps from a reloaded file whose targets changed (an endpoint added to "every endpoint"):
   * the timeline keeps its place and pending triggers, later actions use the new targets.
   */
  adoptSteps(steps: readonly CompiledStep[]): void {
    this.steps = steps;
    steps.forEach((s, i) => (this.status[i]!.actions = s.actions.map(describeAction)));
  }

  /** The step waiting now; undefined once the timeline has finished. */
  get current(): CompiledStep | undefined {
    return this.steps[this.cursor];
  }

  /** Runs step `id` now: it must be the waiting step (steps run in order). */
  async trigger(id: string): Promise<void> {
    const step = this.steps.find((s) => s.id === id);
    if (!step)
      throw new HubtlsError(
        'HUBTLS_UNKNOWN_STEP',
        `no timeline step "${id}"${didYouMean(
          id,
          this.steps.map((s) => s.id),
        )}`,
        `steps: ${this.steps.map((s) => s.id).join(', ')}`,
      );
    if (step.index < this.cursor)
      throw new HubtlsError('HUBTLS_STEP_DONE', `timeline step "${id}" has already run`, 'steps run once, in order');
    if (this.running || step.index > this.cursor) {
      throw new HubtlsError(
        'HUBTLS_STEP_NOT_NEXT',
        `timeline step "${id}" is not the next one: steps run in order and "${this.current!.id}" (${describeTrigger(this.current!.trigger)}) is ${this.running ? 'running' : 'waiting'}`,
        `trigger "${this.current!.id}" first`,
      );
    }
    await this.fire(step.index, 'admin trigger');
  }

  /** The scenario clock jumped: an `at` step may be due now, or later than armed. */
  clockMoved(): void {
    if (!this.running && this.current?.trigger.kind === 'at') this.arm();
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.counted = 0;
    const step = this.current;
    if (this.stopped || !step) return;
    this.status[step.index]!.state = 'waiting';
    const t = step.trigger;
    if (t.kind === 'at') this.armAt(step.index, t);
    if (t.kind === 'delay') this.setTimer(step.index, t.ms, `delay ${t.ms} ms`);
  }

  private armAt(index: number, t: Extract<Trigger, { kind: 'at' }>): void {
    const simMs = t.at.getTime() - this.host.clock.now().getTime();
    if (simMs <= 0) return this.setTimer(index, 0, `scenario clock reached ${t.at.toISOString()}`);
    const realMs = simMs / this.host.clock.rate;
    if (realMs > MAX_TIMER_MS) this.timer = setTimeout(() => this.arm(), MAX_TIMER_MS);
    else this.setTimer(index, realMs, `scenario clock reached ${t.at.toISOString()}`);
  }

  private setTimer(index: number, ms: number, by: string): void {
    this.timer = setTimeout(() => void this.fire(index, by).catch(() => {}), ms);
  }

  private onHandshake(endpoint: string | undefined): void {
    const t = this.current?.trigger;
    if (this.running || this.stopped || t?.kind !== 'after') return;
    if (t.endpoint !== undefined && t.endpoint !== endpoint) return;
    this.counted += 1;
    if (this.counted >= t.connections)
      void this.fire(this.cursor, `${t.connections} connection(s)${t.endpoint ? ` to ${t.endpoint}` : ''}`);
  }

  /** By index, not by step object: a reload may have swapped the step objects meanwhile. */
  private fire(index: number, by: string): Promise<void> {
    if (this.running || this.stopped || index !== this.cursor || !this.current) return this.idle;
    this.running = true;
    clearTimeout(this.timer);
    this.idle = this.run(this.current, by);
    return this.idle;
  }

  private async run(step: CompiledStep, by: string): Promise<void> {
    const st = this.status[step.index]!;
    st.state = 'running';
    st.firedAt = this.host.clock.now().toISOString();
    st.firedBy = by;
    try {
      for (const a of step.actions) await this.host.apply(a);
      st.state = 'done';
    } catch (e) {
      st.state = 'failed';
      st.error = (e as Error).message;
    }
    this.publish(step, st);
    this.running = false;
    this.cursor += 1;
    if (!this.current)
      this.host.bus.publish({
        type: 'notice',
        level: 'info',
        what: 'timeline-done',
        msg: `timeline finished (${this.steps.length} step${this.steps.length === 1 ? '' : 's'})`,
      });
    this.arm();
  }

  private publish(step: CompiledStep, st: StepStatus): void {
    const head = `timeline step ${step.id} (${st.firedBy})`;
    const msg =
      st.state === 'failed'
        ? `${head} failed: ${st.error}`
        : `${head}: ${st.actions.join('; ')}${step.description ? ` — ${step.description}` : ''}`;
    this.host.bus.publish({
      type: 'notice',
      level: st.state === 'failed' ? 'error' : 'info',
      what: 'step',
      msg,
      step: step.id,
      index: step.index,
      by: st.firedBy,
      actions: st.actions,
      ok: st.state === 'done',
    });
  }
}
