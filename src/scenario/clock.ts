/**
 * The scenario clock. Real time by default; a scenario may start at a simulated instant and run
 * faster. `now()` is read at the edges (listener, timeline) and passed into pure code as a value.
 */
export interface ClockSpec {
  start?: Date;
  rate: number;
}

export class ScenarioClock {
  private anchorReal: number;
  private anchorSim: number;
  private rate: number;

  constructor(spec: ClockSpec, private readonly realNow: () => number = Date.now) {
    this.anchorReal = realNow();
    this.anchorSim = spec.start?.getTime() ?? this.anchorReal;
    this.rate = spec.rate;
  }

  now(): Date {
    return new Date(this.anchorSim + (this.realNow() - this.anchorReal) * this.rate);
  }

  /** Jump to a simulated instant (a timeline step or an admin call); the rate is kept. */
  set(to: Date): void {
    this.anchorReal = this.realNow();
    this.anchorSim = to.getTime();
  }

  get simulated(): boolean {
    return this.anchorSim !== this.anchorReal || this.rate !== 1;
  }
}
