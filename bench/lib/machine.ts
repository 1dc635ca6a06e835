/** What the numbers were measured on: printed by every bench and copied into RESULTS.md. */
import os from 'node:os';
import { execFileSync } from 'node:child_process';

export function machineInfo(): string[] {
  const cpus = os.cpus();
  const openssl = (() => {
    try {
      return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'openssl CLI not found';
    }
  })();
  return [
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${os.type()} ${os.release()} ${os.arch()}`,
    `node ${process.version} (bundled OpenSSL ${process.versions.openssl}); system ${openssl}`,
    `load average at start: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')} (other work on the machine skews both sides alike; runs alternate)`,
  ];
}
