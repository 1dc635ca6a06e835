/**
 * Judging a device's reconnect waits: constant, linear or exponential, with or without jitter.
 * Pure functions of a series of waits (ms).
 *
 * Jitter makes single waits useless as evidence: the Azure SDK for Node waits
 * `100 ms + (2^(x-1) - 1) × rand(0..25 ms)`, so any one late wait may be as short as an early one.
 * What jitter cannot hide is the ceiling the waits live under. Each growth model is therefore asked
 * for the tightest ceiling of its own shape that holds every wait, and the models are compared by
 * how tight that ceiling is: the sum of the log of the ceiling over the attempts, which is the
 * (negative) log-likelihood of the waits if each is drawn uniformly below its model's ceiling.
 * - linear: `a + d·k` (d ≥ 0; d = 0 is a constant loop);
 * - exponential: `f + A·g^k`, a floor f from 0 to the shortest wait and a factor g from 1.5 to 4.
 * Both are concave to minimise over a polyhedron, so the tightest ceiling passes through one or two
 * waits: enumerating those is exact.
 */
import type { Graded } from './types.js';
import { ms } from './recording.js';

export const BACKOFF_FIX =
  'reconnect with exponential backoff and random jitter (the Azure SDKs: ExponentialBackOffWithJitter, 100 ms doubling up to 10 s, jitter -50%/+25%)';

/** Judged waits needed before a verdict, and the most a case waits for when the first ones are ambiguous. */
export const BACKOFF_WAITS = { judge: 9, most: 11 } as const;
/** Log-likelihood margins (linear minus exponential): above `pass` is exponential; `early` bounds a verdict taken on the first waits. */
const MARGIN = { pass: -2, earlyExponential: 1, earlyLinear: -4 } as const;
/** Growth of the last third's mean over the first's: below `some` is a constant loop; `clear` growth lets exponential win ties. */
const GROWTH = { some: 1.5, clear: 2 } as const;
/** How close to one exponential curve every wait must be for a backoff to count as without jitter (the hub's own timing moves a wait by a few ms). */
const JITTER = { share: 0.05, ms: 20 } as const;
const FACTORS = Array.from({ length: 51 }, (_, i) => 1.5 + i * 0.05);

export interface Ceiling {
  /** Sum of the log of the ceiling over the attempts (lower is tighter). */
  cost: number;
  /** The exponential ceiling's factor per attempt (1 for a linear one). */
  factor: number;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const logSum = (env: (k: number) => number, n: number) => {
  let s = 0;
  for (let k = 1; k <= n; k++) s += Math.log(env(k));
  return s;
};
const holds = (ws: number[], env: (k: number) => number) => ws.every((w, i) => env(i + 1) >= w * (1 - 1e-9));

/** The tightest `a + d·k` (d ≥ 0) above every wait; ws[k-1] is the wait before attempt k. */
export function linearCeiling(ws: number[]): Ceiling {
  const n = ws.length;
  const top = Math.max(...ws);
  let best: Ceiling = { cost: n * Math.log(top), factor: 1 };
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      const d = (ws[j]! - ws[i]!) / (j - i);
      if (d <= 0) continue;
      const a = ws[i]! - d * (i + 1);
      const at = (k: number) => a + d * k;
      if (at(1) <= 0 || !holds(ws, at)) continue;
      const cost = logSum(at, n);
      if (cost < best.cost) best = { cost, factor: 1 };
    }
  return best;
}

/** For each factor g from 1.5 to 4, the tightest `f + A·g^k` (0 ≤ f ≤ the shortest wait, A ≥ 0) above every wait. */
export function exponentialCeilings(ws: number[]): Ceiling[] {
  const n = ws.length;
  const floor = Math.min(...ws);
  const top = Math.max(...ws);
  return FACTORS.map((g) => {
    const pow = Array.from({ length: n + 1 }, (_, k) => g ** k);
    let best: Ceiling = { cost: n * Math.log(top), factor: g };
    const tightest = (f: number) => Math.max(...ws.map((w, i) => (w - f) / pow[i + 1]!));
    const consider = (f: number, A: number) => {
      const at = (k: number) => f + A * pow[k]!;
      if (f < 0 || f > floor || !holds(ws, at)) return;
      const cost = logSum(at, n);
      if (cost < best.cost) best = { cost, factor: g };
    };
    consider(0, tightest(0));
    consider(floor, tightest(floor));
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const A = (ws[j]! - ws[i]!) / (pow[j + 1]! - pow[i + 1]!);
        if (A > 0) consider(ws[i]! - A * pow[i + 1]!, A);
      }
    return best;
  });
}

/**
 * Whether the waits lie on one curve `f + A·g^k` (least squares for this g), each within JITTER of
 * it: a backoff without jitter, give or take the hub's own few ms of timing.
 */
export function onCurve(ws: number[], g: number): boolean {
  const xs = ws.map((_, i) => g ** (i + 1));
  const mx = mean(xs);
  const mw = mean(ws);
  const sxx = xs.reduce((s, x) => s + (x - mx) ** 2, 0);
  const A = xs.reduce((s, x, i) => s + (x - mx) * (ws[i]! - mw), 0) / sxx;
  const f = mw - A * mx;
  return A > 0 && ws.every((w, i) => Math.abs(w - (f + A * xs[i]!)) <= Math.max(JITTER.share * w, JITTER.ms));
}

/** The tightest exponential ceiling over all factors. */
export const exponentialCeiling = (ws: number[]): Ceiling =>
  exponentialCeilings(ws).reduce((a, b) => (b.cost < a.cost ? b : a));

/** Means of the first, middle and last third of a series. */
export function thirds(ws: number[]): [number, number, number] {
  const k = Math.floor(ws.length / 3);
  return [mean(ws.slice(0, k)), mean(ws.slice(k, ws.length - k)), mean(ws.slice(-k))];
}

/** The waits judged: all but the first (SDKs retry once at once), at least 1 ms each. */
const judged = (waits: number[]) => waits.slice(1).map((w) => Math.max(w, 1));

interface Shape {
  kind: 'constant' | 'linear' | 'exponential';
  /** Linear ceiling's cost minus exponential's: positive favours exponential. */
  margin: number;
  /** Last third's mean over the first's. */
  growth: number;
  /** Neither later third reaches GROWTH.some × the first. */
  flat: boolean;
  /** Every wait sits on one exponential curve (within JITTER): a backoff without jitter. */
  exact: boolean;
  words: string;
}

function shape(ws: number[]): Shape {
  const [a, b, c] = thirds(ws);
  const byThirds = `mean wait by thirds ${ms(a)} → ${ms(b)} → ${ms(c)}`;
  const lin = linearCeiling(ws);
  const exp = exponentialCeiling(ws);
  const margin = lin.cost - exp.cost;
  const exponential = margin >= 0 || (margin > MARGIN.pass && c >= GROWTH.clear * a);
  const kind = c < GROWTH.some * a ? 'constant' : exponential ? 'exponential' : 'linear';
  const ceiling = `a ×${exp.factor.toFixed(2)}-per-attempt ceiling`;
  const fit =
    margin >= 0
      ? `the waits fit under ${ceiling}, tighter than under any straight line by ${margin.toFixed(1)}`
      : kind === 'exponential'
        ? `the waits fit under ${ceiling} about as tightly as under a straight line (within ${(-margin).toFixed(1)}) and the last third is ${(c / a).toFixed(1)}× the first`
        : `a straight-line ceiling holds the waits tighter than any exponential one by ${(-margin).toFixed(1)}`;
  return {
    kind,
    margin,
    growth: c / a,
    flat: Math.max(b, c) < GROWTH.some * a,
    exact: FACTORS.some((g) => onCurve(ws, g)),
    words: `${byThirds}; ${fit}`,
  };
}

/**
 * True once a case has seen enough reconnects to judge: BACKOFF_WAITS.judge judged waits when the
 * verdict is clear, up to BACKOFF_WAITS.most when the first ones are ambiguous (jitter can make
 * an exponential series look linear for a while).
 */
export function backoffSettled(waits: number[]): boolean {
  const ws = judged(waits);
  if (ws.length >= BACKOFF_WAITS.most) return true;
  if (ws.length < BACKOFF_WAITS.judge) return false;
  const s = shape(ws);
  return (
    (s.kind === 'constant' && s.flat) ||
    (s.kind === 'linear' && s.margin <= MARGIN.earlyLinear) ||
    (s.kind === 'exponential' && s.margin >= MARGIN.earlyExponential && s.growth >= GROWTH.clear)
  );
}

/**
 * Pure judgement of a series of reconnect waits (ms): constant when the last third's mean is not
 * 1.5 × the first's; exponential when its ceiling is tighter than a linear one, or nearly as tight
 * (within MARGIN.pass) with the last third at least 2 × the first, so that jitter which happens to
 * come out small late does not fail a correct device; linear otherwise. Exponential without jitter
 * when every wait sits on one curve f + A·g^k (exact backoff, give or take the few ms the hub's own
 * timing adds).
 */
export function judgeWaits(waits: number[]): Graded {
  const shown = `waits before each reconnect: ${waits.map(ms).join(', ')}`;
  const ws = judged(waits);
  if (ws.length < 6) {
    const slow = waits.every((w) => w >= 1000);
    return slow
      ? { grade: 'pass', evidence: [shown, 'few, slow reconnects: growth and jitter not judged'] }
      : { grade: 'warn', evidence: [shown, 'too few reconnects to judge the backoff'], fix: BACKOFF_FIX };
  }
  const s = shape(ws);
  if (s.kind === 'constant')
    return { grade: 'fail', evidence: [shown, `constant reconnect loop (${s.words})`], fix: BACKOFF_FIX };
  if (s.kind === 'linear')
    return { grade: 'fail', evidence: [shown, `grows, but not exponentially (${s.words})`], fix: BACKOFF_FIX };
  if (s.exact)
    return {
      grade: 'warn',
      evidence: [
        shown,
        `exponential without jitter (${s.words}; every wait within ${JITTER.share * 100} % or ${JITTER.ms} ms of one curve f + A·g^k)`,
      ],
      fix: 'add random jitter to each backoff, so a fleet dropped together does not reconnect in lockstep',
    };
  return { grade: 'pass', evidence: [shown, `exponential with jitter (${s.words})`] };
}
