/**
 * Bench options from the command line: `npm run bench -- handshake --rounds 3 --full-only`. Names
 * (no leading dashes) select benches; `--name value` and `--flag` are options for them.
 */
const argv = process.argv.slice(2);

/** The bench names asked for (arguments that are neither options nor their values). */
export function benchNames(): string[] {
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i]!.startsWith('--')) {
      if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--') && !FLAGS.has(argv[i]!)) i++;
    } else names.push(argv[i]!);
  }
  return names;
}

/** Options that take no value. */
const FLAGS = new Set(['--full-only', '--hold', '--quick']);

export function flag(name: string): boolean {
  return argv.includes(`--${name}`);
}

export function numberOption(name: string, fallback: number): number {
  const i = argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(argv[i + 1]);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} wants a positive number, got ${argv[i + 1]}`);
  return n;
}

export function stringOption(name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? undefined : argv[i + 1];
}
