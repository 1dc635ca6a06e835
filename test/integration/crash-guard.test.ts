/**
 * Issue 9: no crash on anything but the hub's own configuration. An exception or rejection that
 * escapes (here injected by a preload on SIGUSR2) becomes an error event; the hub keeps serving
 * and still exits 0 on SIGTERM. Peer behaviour is covered by fuzz.test.ts (10,000 ClientHellos).
 */
import t from 'tap';
import path from 'node:path';
import { runCli } from '../helpers/cli.js';
import { sClient } from '../helpers/openssl.js';
import { rawConnect } from '../helpers/clients.js';

const PRELOAD = path.resolve('test/fixtures/preload/throw-on-usr2.mjs');

t.test('escaped errors become events; the process keeps serving and exits 0', async (t) => {
  const hub = await runCli(['--no-admin'], ['--import', PRELOAD]);
  t.teardown(() => void hub.child.kill('SIGKILL'));
  hub.child.kill('SIGUSR2');
  await Promise.all([hub.stdoutLine(/"what":"uncaught"/), hub.stdoutLine(/"what":"unhandled"/)]);
  const notices = hub.events().filter((e) => e.event === 'notice');
  t.match(
    notices.find((e) => e.what === 'uncaught'),
    { level: 50, msg: /exception nobody caught/ },
    'uncaught exception logged at error level',
  );
  t.match(
    notices.find((e) => e.what === 'unhandled'),
    { level: 50, msg: /rejected promise nobody awaited/ },
    'unhandled rejection logged at error level',
  );
  const peer = await rawConnect(hub.port);
  peer.end('GET / HTTP/1.1\r\n\r\n'); // a peer's misbehaviour: an outcome, not a crash
  const r = await sClient(hub.port, ['-servername', 'myhub.azure-devices.net']);
  t.ok(r.handshakeOk, 'a device still connects');
  hub.child.kill('SIGTERM');
  t.equal(await hub.exited, 0, 'exit code 0: only configuration errors make it non-zero');
  t.ok(
    hub.events().some((e) => e.outcome === 'HUBTLS_NOT_TLS'),
    'the plain-HTTP peer was logged as HUBTLS_NOT_TLS',
  );
});
