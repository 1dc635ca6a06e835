/**
 * The CLI as a user runs it: `hubtls run` prints ready lines and a JSON ready event, stops on
 * Ctrl-C, and bad input is one clear line with exit code 2 and nothing left listening.
 */
import t from 'tap';
import net from 'node:net';
import { once } from 'node:events';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SHARED_DIR } from '../helpers/pki.js';
import { collect } from '../helpers/cli.js';

function hubtls(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
    env: { ...process.env, HUBTLS_CERTS_DIR: SHARED_DIR, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

const finish = collect;

interface Ready {
  event: { listeners: Array<{ port: number }>; admin?: { url: string } };
  stderr: string;
}

/** Waits until both the JSON ready event (stdout) and the human "ready." line (stderr) arrived. */
function whenReady(child: ChildProcess): Promise<Ready> {
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const check = () => {
      const line = out.split('\n').find((l) => l.includes('"event":"ready"'));
      if (line && err.includes('ready. Ctrl-C stops.')) resolve({ event: JSON.parse(line), stderr: err });
    };
    child.stdout!.on('data', (d) => ((out += d), check()));
    child.stderr!.on('data', (d) => ((err += d), check()));
    child.once('close', (code) => reject(new Error(`exited ${code} before ready: ${err}`)));
  });
}

t.test('run: ready lines, ready event with real ports, clean stop on SIGINT', async (t) => {
  const child = hubtls(['run', '--port', '0', '--admin-port', '0', 'scenarios/default.yaml']);
  t.teardown(() => void child.kill('SIGKILL'));
  const { event: ready, stderr } = await whenReady(child);
  const port = ready.listeners[0]!.port;
  t.ok(port > 0, `listening on ${port}`);
  t.match(ready.admin?.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  t.match(
    stderr,
    /iothub hub .*mqtts:\/\/127\.0\.0\.1:\d+ .*profile iothub-2025 .*chain g2 → root "DigiCert Global Root G2"/,
  );
  t.match(stderr, /dps .*profile dps/);
  t.match(stderr, /certs export/);
  const health = await fetch(`${ready.admin!.url}/healthz`);
  t.equal(health.status, 200);
  t.equal((await fetch(`${ready.admin!.url}/state`)).status, 401, 'state needs the token');
  const sock = net.connect(port, '127.0.0.1');
  await once(sock, 'connect');
  sock.destroy();
  child.kill('SIGINT');
  const [code] = (await once(child, 'close')) as [number];
  t.equal(code, 0);
});

t.test('unknown scenario path: one clear line, exit 2', async (t) => {
  const r = await finish(hubtls(['run', '--port', '0', 'scenarios/nope.yaml']));
  t.equal(r.code, 2);
  t.match(r.stderr, /hubtls: scenario file not found: scenarios\/nope\.yaml/);
  t.match(r.stderr, /hint: /);
});

t.test('port in use: exit 2, names the port, nothing half-started', async (t) => {
  const blocker = net.createServer().listen(0, '127.0.0.1');
  await once(blocker, 'listening');
  const port = (blocker.address() as net.AddressInfo).port;
  const r = await finish(hubtls(['run', '--port', String(port), '--admin-port', '0', 'scenarios/default.yaml']));
  blocker.close();
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, new RegExp(`port 127\\.0\\.0\\.1:${port} is already in use`));
  t.match(r.stderr, /--port/);
});

t.test('unreadable certs dir: exit 2 with the path', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-ro-'));
  const blocked = path.join(dir, 'certs');
  writeFileSync(blocked, 'a file where the certs dir should be');
  chmodSync(blocked, 0o400);
  const r = await finish(
    hubtls(['run', '--port', '0', '--admin-port', '0', '--certs', blocked, 'scenarios/default.yaml']),
  );
  t.equal(r.code, 2, r.stderr);
  t.match(r.stderr, /certs/);
  t.match(r.stderr, new RegExp(blocked.replace(/[/.]/g, '\\$&')));
});

t.test('a malformed scenario: every problem listed, exit 2', async (t) => {
  const r = await finish(hubtls(['check', 'test/fixtures/scenarios/typos.yaml']));
  t.equal(r.code, 2);
  t.match(r.stderr, /typos\.yaml: 4 problems/);
});
