/** External clients the tests drive. CI installs them all (.ci/run) and sets HUBTLS_REQUIRE_TOOLS. */
import { spawnSync } from 'node:child_process';
import type { Test } from 'tap';

export function hasTool(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

/**
 * True when `cmd` exists. Otherwise the test is skipped with the install line — or fails, when
 * HUBTLS_REQUIRE_TOOLS is set (CI), so a missing tool can never turn a test into a silent skip there.
 */
export function needTool(t: Test, cmd: string, debianPackage: string): boolean {
  if (hasTool(cmd)) return true;
  const why = `${cmd} is not installed (apt-get install ${debianPackage})`;
  if (process.env.HUBTLS_REQUIRE_TOOLS) t.fail(why);
  else t.pass(why, { skip: why });
  return false;
}
