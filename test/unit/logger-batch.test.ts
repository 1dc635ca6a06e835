/**
 * hubtls's stdout log stream writes once per event-loop turn (src/events/logger.ts batchedPerTurn):
 * here over a real SonicBoom on a file, as pino.destination makes it for stdout.
 */
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { batchedPerTurn } from '../../src/events/logger.js';

function destination(t: Test) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-logger-batch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'out.log');
  const stream = batchedPerTurn(pino.destination({ dest: file, sync: false, mkdir: true }));
  const writes: number[] = [];
  stream.on('write', (n: number) => writes.push(n));
  return { file, stream, writes, ready: new Promise((resolve) => stream.once('ready', resolve)) };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

t.test('lines of one turn leave in one write, in order, at the end of the turn', async (t) => {
  const d = destination(t);
  await d.ready;
  const log = pino({ base: null }, d.stream);
  for (let i = 0; i < 5; i++) log.info({ i }, 'line');
  t.same(d.writes, [], 'nothing written within the turn');
  await turn();
  await new Promise((resolve) => d.stream.once('write', resolve));
  t.equal(d.writes.length, 1, 'one write for the five lines');
  const lines = readFileSync(d.file, 'utf8').trim().split('\n');
  t.same(
    lines.map((l) => (JSON.parse(l) as { i: number }).i),
    [0, 1, 2, 3, 4],
  );
  d.stream.end();
});

t.test('flushSync (pino at exit) writes what the turn still holds', async (t) => {
  const d = destination(t);
  await d.ready;
  const log = pino({ base: null }, d.stream);
  log.info('last words');
  d.stream.flushSync();
  t.match(readFileSync(d.file, 'utf8'), /"msg":"last words"/);
  await turn();
  t.equal(readFileSync(d.file, 'utf8').split('\n').filter(Boolean).length, 1, 'and not twice');
  d.stream.end();
});

t.test('flush calls back once every line, also one still in an asynchronous write, is in the file', async (t) => {
  const d = destination(t);
  await d.ready;
  const log = pino({ base: null }, d.stream);
  log.info('first');
  await turn(); // the first line's write is now under way in the threadpool
  log.info('stopped');
  const lines = await new Promise<string[]>((resolve) =>
    d.stream.flush(() => resolve(readFileSync(d.file, 'utf8').trim().split('\n'))),
  );
  // SonicBoom's own flush called back at once (minLength 0): neither line was in the file yet.
  t.same(
    lines.map((l) => (JSON.parse(l) as { msg: string }).msg),
    ['first', 'stopped'],
    'both lines, in order, when flush calls back',
  );
  await new Promise<void>((resolve) => d.stream.flush(() => resolve()));
  t.pass('a flush with nothing to write calls back too');
  d.stream.end();
});
