/**
 * Reading a scenario file before any parsing: it must be a regular file no larger than the limit.
 * A scenario is rarely over 100 KB; YAML parsing costs seconds per megabyte and a lot of memory, so
 * the size is checked from the file's metadata before a byte is parsed, and never more than the
 * limit (+1 byte, to notice a file that grew) is read.
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { HubtlsError } from '../errors.js';

/** 4 MiB: forty times the largest scenario we have seen, small enough to parse in a few seconds. */
export const DEFAULT_MAX_SCENARIO_BYTES = 4 * 1024 * 1024;

function notFound(file: string): HubtlsError {
  return new HubtlsError(
    'HUBTLS_SCENARIO_NOT_FOUND',
    `scenario file not found: ${file}`,
    'the scenarios that ship with hubtls are in scenarios/ (e.g. scenarios/default.yaml)',
  );
}

function unreadable(file: string, why: string): HubtlsError {
  return new HubtlsError(
    'HUBTLS_SCENARIO_UNREADABLE',
    `cannot read scenario file ${file}: ${why}`,
    'check the path and its permissions',
  );
}

function tooLarge(file: string, size: string, maxBytes: number): HubtlsError {
  return new HubtlsError(
    'HUBTLS_SCENARIO_TOO_LARGE',
    `scenario file ${file} is ${size} bytes, over the limit of ${maxBytes} bytes`,
    'a scenario is rarely over 100 KB: check that this is the file you meant; if it is, raise the limit with --max-scenario-bytes N',
  );
}

function failure(file: string, e: unknown): HubtlsError {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? notFound(file) : unreadable(file, (e as Error).message);
}

/** The file's text, or HUBTLS_SCENARIO_NOT_FOUND / _UNREADABLE / _TOO_LARGE. */
export function readScenarioText(file: string, maxBytes = DEFAULT_MAX_SCENARIO_BYTES): string {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw unreadable(file, 'not a regular file');
    size = st.size;
  } catch (e) {
    throw e instanceof HubtlsError ? e : failure(file, e);
  }
  if (size > maxBytes) throw tooLarge(file, String(size), maxBytes);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw failure(file, e);
  }
  try {
    // One byte more than the file said it has: a file that grew while we read is noticed, not cut.
    const buf = Buffer.alloc(size + 1);
    let n = 0;
    for (let got = -1; got !== 0 && n < buf.length; n += got) got = readSync(fd, buf, n, buf.length - n, null);
    if (n > size) throw unreadable(file, 'it changed while being read; try again');
    return buf.toString('utf8', 0, n);
  } catch (e) {
    throw e instanceof HubtlsError ? e : failure(file, e);
  } finally {
    closeSync(fd);
  }
}
