/**
 * The CLI's human output. Logs are pino events; these are the lines meant for a person.
 * Human lines go to stderr so that stdout stays a clean stream of JSON events.
 */
import { isHubtlsError } from '../errors.js';

export function say(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** Machine-readable or primary output of a command (tables, JSON): stdout. */
export function print(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Prints a user error in one or two lines and returns the exit code: 2 for configuration errors. */
export function reportError(e: unknown): number {
  if (isHubtlsError(e)) {
    say(`hubtls: ${e.message}`);
    if (e.hint) say(`  hint: ${e.hint}`);
    say(`  (${e.code})`);
    return 2;
  }
  say(`hubtls: unexpected error: ${(e as Error)?.stack ?? String(e)}`);
  return 1;
}
