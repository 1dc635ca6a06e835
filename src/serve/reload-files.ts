/**
 * Which files a reload may read. The admin API's `POST /scenario/reload {"file": …}` names a path
 * on the hub's machine; without a rule, a token holder could have any file the process can read
 * parsed and its lines quoted back as "unknown fields". So a reload reads only scenario files
 * (.yaml / .yml) in the folder of the scenario hubtls was started with (or below it), plus the
 * folders the operator allowed at start (`hubtls run --reload-dir DIR`). Symbolic links are
 * followed before the check, so a link in the folder cannot point outside it.
 */
import { realpath } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { HubtlsError } from '../errors.js';

const SCENARIO_EXT = /\.ya?ml$/i;

function inside(file: string, dir: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

/** The real path when the file exists; the plain absolute path otherwise (the loader says "not found"). */
const real = (p: string) => realpath(p).catch(() => p);

function refused(file: string, why: string, dirs: string[]): HubtlsError {
  return new HubtlsError(
    'HUBTLS_RELOAD_FILE_REFUSED',
    `reload of ${file} refused: ${why}`,
    `a reload reads .yaml/.yml files under ${dirs.join(', ')}; allow another folder at start with hubtls run --reload-dir DIR`,
  );
}

/** Returns the check: the absolute path to load, or HUBTLS_RELOAD_FILE_REFUSED. */
export function reloadFileGate(
  startFile: string,
  extraDirs: readonly string[] = [],
): (file: string) => Promise<string> {
  const running = resolve(startFile);
  const dirs = [dirname(running), ...extraDirs.map((d) => resolve(d))];
  return async (file) => {
    const abs = resolve(file);
    if (abs === running) return abs;
    if (!SCENARIO_EXT.test(abs)) throw refused(file, 'only scenario files (.yaml, .yml) are reloaded', dirs);
    const [target, ...allowed] = await Promise.all([real(abs), ...dirs.map(real)]);
    if (!allowed.some((d) => inside(target!, d)))
      throw refused(file, 'it is outside the folders reloads may read', dirs);
    return abs;
  };
}
