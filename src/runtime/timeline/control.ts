/**
 * The running timeline of the scenario in force: started with the hub, kept or restarted by a
 * reload, stopped at shutdown; admin triggers and the state view go through here.
 */
import { HubtlsError } from '../../errors.js';
import type { CompiledScenario } from '../../scenario/compile.js';
import type { CompiledStep } from '../../scenario/timeline/compile.js';
import { Timeline, type StepStatus, type TimelineHost } from './runner.js';

/** A timeline as written: the same shape may still target other endpoints ("every endpoint" grew). */
function shape(steps: readonly CompiledStep[]): string {
  return JSON.stringify(steps, (k, v: unknown) => (k === 'endpoints' ? undefined : v));
}

export class TimelineControl {
  private timeline?: Timeline;

  constructor(
    private readonly host: TimelineHost,
    /** false in a worker of `--workers N`: the primary runs the timeline and sends its changes. */
    private readonly runs = true,
  ) {}

  start(steps: readonly CompiledStep[]): void {
    if (!this.runs) return;
    this.timeline?.stop();
    this.timeline = new Timeline(steps, this.host);
    this.timeline.start();
  }

  stop(): void {
    this.timeline?.stop();
  }

  /** Runs an `on: admin` step (or the waiting step at once). Resolves once its actions are done. */
  async trigger(stepId: string): Promise<void> {
    if (!this.timeline)
      throw new HubtlsError(
        'HUBTLS_NO_TIMELINE',
        'this scenario has no timeline running',
        'add a timeline: section to the scenario',
      );
    await this.timeline.trigger(stepId);
  }

  statuses(): StepStatus[] {
    return this.timeline?.statuses() ?? [];
  }

  /**
   * A reloaded scenario: the timeline keeps its place when its steps are unchanged (targets may have
   * grown), else the new one starts. Returns whether it restarted.
   */
  adopt(before: CompiledScenario, next: CompiledScenario): boolean {
    if (this.timeline && shape(before.timeline) === shape(next.timeline)) {
      this.timeline.adoptSteps(next.timeline);
      this.timeline.clockMoved(); // the reload may have set another clock start or rate
      return false;
    }
    this.start(next.timeline);
    return true;
  }
}
