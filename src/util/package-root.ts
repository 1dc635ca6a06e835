/**
 * Where hubtls itself is installed: the bundled scenarios must be found from `npx hubtls` in any
 * directory, from the source tree (tsx) and from the built dist/ alike.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(from = path.dirname(fileURLToPath(import.meta.url))): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'hubtls') return dir;
    if (path.dirname(dir) === dir) throw new Error(`hubtls package.json not found above ${from}`);
  }
}

/** A scenario shipped with hubtls, e.g. bundledScenario('default.yaml'). */
export function bundledScenario(name: string): string {
  return path.join(packageRoot(), 'scenarios', name);
}
