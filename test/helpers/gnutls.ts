/** Runs `gnutls-cli --insecure` against a local port (stdin closed) and returns everything it printed. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';

export function gnutlsCli(port: number, extra: string[] = []): Promise<string> {
  const child = spawn('gnutls-cli', ['--insecure', ...extra, '-p', String(port), '127.0.0.1'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
  return once(child, 'close').then(() => (clearTimeout(timer), out));
}
