import { InvalidArgumentError } from 'commander';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError(`"${value}" is not a port (0–65535; 0 = any free port)`);
  return n;
}

/** A whole number ≥ 1 (counts, seconds). */
export function parsePositive(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${v}" is not a positive integer`);
  return n;
}

/** A positive number of seconds (fractions allowed): time limits. */
export function parseSeconds(v: string): number {
  const n = Number(v);
  if (!(n > 0)) throw new InvalidArgumentError(`"${v}" is not a positive number of seconds`);
  return n;
}

/** `--certs DIR`, shared by every command that touches the test PKI. */
export const certsDirOption = [
  '--certs <dir>',
  'where generated test certificates live (git-ignored)',
  process.env.HUBTLS_CERTS_DIR ?? 'certs',
] as const;

/** `--max-scenario-bytes N`, shared by `run` and `check`: the size a scenario file may have, checked before parsing. */
export const maxScenarioBytesOption = [
  '--max-scenario-bytes <n>',
  'refuse scenario files larger than this, before parsing (default 4194304 = 4 MiB; a scenario is rarely over 100 KB)',
  parseBytes,
] as const;

function parseBytes(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a whole number of bytes ≥ 1`);
  return n;
}
