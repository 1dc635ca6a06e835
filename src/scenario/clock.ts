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
  private speed: number;

  constructor(
    spec: ClockSpec,
    private readonly realNow: () => number = Date.now,
  ) {
    this.anchorReal = realNow();
    this.anchorSim = spec.start?.getTime() ?? this.anchorReal;
    this.speed = spec.rate;
  }

  /** Simulated seconds per real second. */
  get rate(): number {
    return this.speed;
  }

  /** Changes the rate from now on (the simulated instant does not jump). */
  setRate(rate: number): void {
    this.set(this.now());
    this.speed = rate;
  }

  now(): Date {
    return new Date(this.anchorSim + (this.realNow() - this.anchorReal) * this.speed);
  }

  /** Jump to a simulated instant (a timeline step or an admin call); the rate is kept. */
  set(to: Date): void {
    this.anchorReal = this.realNow();
    this.anchorSim = to.getTime();
  }

  /** Starts over from a (reloaded) clock spec. */
  reset(spec: ClockSpec): void {
    this.set(spec.start ?? new Date(this.realNow()));
    this.speed = spec.rate;
  }

  get simulated(): boolean {
    return this.anchorSim !== this.anchorReal || this.speed !== 1;
  }
}
