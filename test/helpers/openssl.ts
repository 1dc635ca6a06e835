/** Runs `openssl s_client` against a local port and reads what it saw. */
import { spawn } from 'node:child_process';

export interface SClientResult {
  code: number | null;
  output: string;
  /** Alert number the client received ("SSL alert number N"), if any. */
  alert?: number;
  /** Negotiated protocol and OpenSSL cipher name, when the handshake completed. */
  protocol?: string;
  cipher?: string;
  verifyCode?: number;
  verifyText?: string;
  handshakeOk: boolean;
}

export function parseSClient(output: string, code: number | null): SClientResult {
  const cipher = /Cipher is (\S+)/.exec(output)?.[1];
  const verify = /Verify return code: (\d+) \(([^)]*)\)/.exec(output);
  const alert = /SSL alert number (\d+)/.exec(output)?.[1];
  return {
    code,
    output,
    alert: alert === undefined ? undefined : Number(alert),
    protocol: /Protocol\s*: (\S+)/.exec(output)?.[1] ?? /New, (TLSv[\d.]+|SSLv3)/.exec(output)?.[1],
    cipher: cipher && cipher !== '(NONE)' ? cipher : undefined,
    verifyCode: verify ? Number(verify[1]) : undefined,
    verifyText: verify?.[2],
    handshakeOk: !!cipher && cipher !== '(NONE)',
  };
}

/** One handshake; stdin is closed at once so s_client leaves after the handshake. */
export function sClient(
  port: number,
  args: string[],
  opts: { timeoutMs?: number; input?: string } = {},
): Promise<SClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 15000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve(parseSClient(output, code));
    });
    child.stdin.end(opts.input ?? '');
  });
}
