/**
 * Compares what happened when the device command ran against a scenario with the scenario's
 * `expect:` block. Pure: each mismatch is one sentence naming expected and actual.
 */
import type { ExpectFile } from '../scenario/schema.js';
import type { OutcomeCode } from '../events/outcomes.js';

export interface Observed {
  exitCode: number | null;
  signal?: string | null;
  timedOut: boolean;
  timeoutMs: number;
  handshakes: Array<{ outcome: OutcomeCode; reason: string }>;
}

const list = (o: Observed) => o.handshakes.map((h) => h.outcome).join(', ') || 'none';

function exitMismatch(want: ExpectFile['exitCode'], o: Observed): string[] {
  if (want === undefined || o.timedOut) return [];
  const got = o.exitCode === null ? `killed by ${o.signal ?? 'a signal'}` : String(o.exitCode);
  const ok = want === 'nonzero' ? o.exitCode !== 0 : o.exitCode === want;
  return ok ? [] : [`device exit code: expected ${want}, got ${got}`];
}

function outcomeMismatch(want: OutcomeCode | undefined, o: Observed): string[] {
  if (!want) return [];
  if (o.handshakes.length === 0) return [`expected ${want}, but the device made no connection`];
  const other = o.handshakes.find((h) => h.outcome !== want);
  return other ? [`expected every handshake to be ${want}, got ${other.outcome}: ${other.reason}`] : [];
}

function sequenceMismatch(want: OutcomeCode[] | undefined, o: Observed): string[] {
  if (!want) return [];
  const got = o.handshakes.map((h) => h.outcome);
  return want.length === got.length && want.every((w, i) => w === got[i])
    ? []
    : [`expected handshakes [${want.join(', ')}], got [${list(o)}]`];
}

function includesMismatch(want: OutcomeCode[] | undefined, o: Observed): string[] {
  const missing = (want ?? []).filter((w) => !o.handshakes.some((h) => h.outcome === w));
  return missing.length ? [`expected at least one ${missing.join(' and one ')}, got [${list(o)}]`] : [];
}

export function mismatches(expect: ExpectFile, o: Observed): string[] {
  const timeout = o.timedOut ? [`the device command did not finish within ${o.timeoutMs / 1000} s (killed)`] : [];
  return [
    ...timeout,
    ...exitMismatch(expect.exitCode, o),
    ...outcomeMismatch(expect.outcome, o),
    ...sequenceMismatch(expect.outcomes, o),
    ...includesMismatch(expect.includes, o),
  ];
}
