/** Small helpers for reporting: medians, ratios against the baseline, goal checks. */

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Goal {
  /** "≥ 0.9" or "≤ 1.5". */
  op: '≥' | '≤';
  value: number;
}

export function meets(x: number, g: Goal): boolean {
  return g.op === '≥' ? x >= g.value : x <= g.value;
}

/** One result line: baseline, hubtls, ratio and whether the goal is met. */
export function ratioLine(what: string, unit: string, bare: number, hub: number, goal: Goal, digits = 0): string {
  const ratio = hub / bare;
  const verdict = meets(ratio, goal) ? 'goal met' : 'GOAL MISSED';
  return `${what}: bare ${bare.toFixed(digits)} ${unit}, hubtls ${hub.toFixed(digits)} ${unit}, ratio ${ratio.toFixed(2)} (goal ${goal.op} ${goal.value}: ${verdict})`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}
