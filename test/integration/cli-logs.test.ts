/**
 * Logs as a user sees them: JSON lines in a pipe, pretty lines on a terminal (a real pty via
 * `script`) or with --log-format pretty, --log-level filtering, and the printed dashboard URL.
 */
import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { SHARED_DIR } from '../helpers/pki.js';
import { needTool } from '../helpers/tools.js';

const RUN = ['src/cli/main.ts', 'run', '--port', '0', '--admin-port', '0', 'scenarios/default.yaml'];
const { HUBTLS_LOG_FORMAT: _format, ...inherited } = process.env;
const env = { ...inherited, HUBTLS_CERTS_DIR: SHARED_DIR };

/**
 * Collects output until the "ready." line (stderr) and, when given, `also` (the log stream: stdout,
 * written asynchronously, so it may arrive after the stderr line).
 */
async function untilReady(child: ChildProcess, also?: RegExp): Promise<string> {
  let all = '';
  let timer: NodeJS.Timeout | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => (
        (all += d),
        all.includes('ready. Ctrl-C stops.') && (!also || also.test(all)) && resolve()
      );
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('close', (code) => reject(new Error(`exited ${code} before ready: ${all}`)));
      timer = setTimeout(
        () =>
          reject(
            new Error(`not ready${also ? ` or no line matching ${also}` : ''} after 30 s; output so far:\n${all}`),
          ),
        30_000,
      );
    });
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  } finally {
    clearTimeout(timer);
  }
  return all;
}

async function stop(child: ChildProcess): Promise<void> {
  child.kill('SIGINT');
  await once(child, 'close');
}

t.test('--log-format pretty: pino-pretty lines, no JSON; the dashboard URL works', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', ...RUN, '--log-format', 'pretty'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = await untilReady(child, /INFO.*: ready: 127\.0\.0\.1:\d+/);
  t.pass('the ready event is a pretty INFO line');
  t.notMatch(out, /\{"level":/, 'no JSON lines');
  const url = /dashboard: (http:\/\/127\.0\.0\.1:\d+\/dashboard\?token=[0-9a-f]+)/.exec(out)?.[1];
  t.ok(url, 'the dashboard URL is printed with its token');
  const page = await fetch(url!);
  t.equal(page.status, 200);
  t.match(await page.text(), /<title>hubtls dashboard<\/title>/);
  await stop(child);
});

t.test('a pipe gets JSON; --log-level warn drops info events', async (t) => {
  const child = spawn(process.execPath, ['--import', 'tsx', ...RUN, '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout!.on('data', (d) => (stdout += d));
  await untilReady(child);
  await stop(child);
  t.notMatch(stdout, /"event":"ready"/, 'the info-level ready event is filtered');
  const json = spawn(process.execPath, ['--import', 'tsx', ...RUN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let jsonOut = '';
  json.stdout!.on('data', (d) => (jsonOut += d));
  await untilReady(json);
  await stop(json);
  t.ok(
    jsonOut.split('\n').some((l) => l.startsWith('{') && JSON.parse(l).event === 'ready'),
    'JSON ready event on stdout',
  );
});

t.test('on a terminal (auto) the lines are pretty', async (t) => {
  if (!needTool(t, 'script', 'bsdutils')) return;
  const cmd = [process.execPath, '--import', 'tsx', ...RUN].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out = await untilReady(child, /INFO.*: .*ready: 127\.0\.0\.1:\d+/);
  t.pass('the ready event is a pretty INFO line');
  t.notMatch(out, /\{"level":/);
  await stop(child);
});
