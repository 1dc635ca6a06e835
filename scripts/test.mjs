#!/usr/bin/env node
// Runs the static checks and the tap suite, and ends with the plain line CI reads: "N passed, N failed".
// tap's own summary is a comment CI does not understand ("# { total: 94, pass: 94 }"): we read
// it from the raw TAP stream, print one line per test file plus the failures, then the plain line.
// Each static check (typecheck, lint, layers, format) and the coverage floor counts as one test.
// HUBTLS_COVERAGE=0 runs the suite without collecting coverage (and without the coverage check).
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { Parser } from 'tap-parser';

const tapArgs = process.argv.slice(2);
const coverageDir = resolve('coverage/tmp'); // the temp-directory of .c8rc.json
const collectCoverage = process.env.HUBTLS_COVERAGE !== '0';

// `head` lines of a failing tool's output are shown: enough to see the first problems, not a wall of them.
// Strict TypeScript, lint, layer boundaries and formatting are part of what "passing" means here.
const STATIC_CHECKS = [
  { name: 'typecheck (tsc --noEmit, strict)', cmd: ['npx', 'tsc', '--noEmit', '-p', 'tsconfig.json'], head: 200 },
  { name: 'lint (eslint, typescript-eslint recommended)', cmd: ['npm', 'run', '--silent', 'lint:es'], head: 12 },
  { name: 'layers and cycles (dependency-cruiser)', cmd: ['npm', 'run', '--silent', 'lint:deps'], head: 16 },
  { name: 'format (prettier --check)', cmd: ['npm', 'run', '--silent', 'format:check'], head: 6 },
];

let checksPassed = 0;
let checksFailed = 0;

/** Runs a command to completion, collecting stdout and stderr together. */
function run(cmd, env = process.env) {
  return new Promise((done) => {
    const child = spawn(cmd[0], cmd.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('close', (code) => done({ ok: code === 0, output }));
  });
}

/** One line per check; on failure, the first `head` lines of what the tool said. */
function report(name, { ok, output }, head) {
  if (ok) checksPassed += 1;
  else checksFailed += 1;
  process.stdout.write(`${ok ? 'ok    ' : 'FAIL  '} ${name}\n`);
  if (ok) return;
  const lines = output.trim().split('\n');
  // The tool's last line is its count ("✖ 21 problems", "x 18 dependency violations", "… in 205 files").
  const tail = lines.length > head ? `      … ${lines.length - head - 1} more lines\n${lines.at(-1)}\n` : '';
  process.stdout.write(`${lines.slice(0, lines.length > head ? head : undefined).join('\n')}\n${tail}`);
}

/**
 * tap rebuilds its Test class when .taprc's plugin list differs from the one it was built with, but
 * only after its runner has loaded the old one: that first run, which in CI is every run (a fresh
 * clone), starts each test file with the default plugins' loaders too, @tapjs/typescript (ts-node)
 * beside tsx, about 3.5 s more CPU per file (measured: a one-assertion file 4.3-4.9 s of CPU against
 * 0.8-1.1 s). So build first, before the static checks read tap's types.
 */
async function tapBuilt() {
  const { TapConfig } = await import('@tapjs/config');
  const { signature } = await import('@tapjs/test');
  const config = await TapConfig.load();
  if (config.pluginSignature === signature) return;
  const built = await run(['npx', 'tap', 'build']);
  process.stdout.write(
    `info   tap build (the plugins in .taprc): ${built.ok ? 'done' : 'failed; tap will try again itself'}\n`,
  );
  if (!built.ok) process.stdout.write(built.output);
}
await tapBuilt();

// The static checks run side by side (they only read files); the suite starts once they are done,
// so that they do not compete with the integration tests' timeouts.
const results = await Promise.all(STATIC_CHECKS.map((c) => run(c.cmd)));
STATIC_CHECKS.forEach((c, i) => report(c.name, results[i], c.head));

/** The coverage summary of src/, checked against the floors in .c8rc.json (a subset run only prints it). */
async function coverageCheck() {
  const floor = tapArgs.length === 0;
  const result = await run(['npx', 'c8', 'report', ...(floor ? [] : ['--check-coverage=false'])]);
  const figures = [...result.output.matchAll(/^(Lines|Branches|Functions|Statements)\s*: ([\d.]+%)/gm)];
  const text = figures.map((m) => `${m[1].toLowerCase()} ${m[2]}`).join(', ') || 'no summary';
  if (floor) report(`coverage of src/ (c8, floors in .c8rc.json): ${text}`, result, 20);
  else process.stdout.write(`info   coverage of src/ (subset run, floors not checked): ${text}\n`);
}

if (collectCoverage) rmSync(coverageDir, { recursive: true, force: true });
// NODE_V8_COVERAGE is inherited by every process the tests start (the CLI children too); c8 maps it
// back to the TypeScript sources through the source maps tsx registers.
const tapEnv = collectCoverage ? { ...process.env, NODE_V8_COVERAGE: coverageDir } : process.env;
const child = spawn('npx', ['tap', '--reporter=tap', ...tapArgs], {
  env: tapEnv,
  stdio: ['ignore', 'pipe', 'inherit'],
});

// Failures with their details, from every nesting level.
const failures = [];
const parser = new Parser();
const watch = (p) => {
  p.on('assert', (a) => {
    if (!a.ok && !a.todo && !a.skip && !a.diag?.externalID) failures.push(a);
  });
  p.on('child', watch);
};
watch(parser);

// Assertions per test file, printed beside its time: a file whose count moves between runs is
// skipping work somewhere.
// Counted as tap's summary counts: assertions, not the points that close a subtest.
const counts = new Map();
const countLeaves = (p, add) => {
  p.on('assert', () => add(1));
  p.on('child', (c) => (add(-1), countLeaves(c, add)));
};
parser.on('child', (file) => countLeaves(file, (n) => counts.set(file.name, (counts.get(file.name) ?? 0) + n)));

let summary; // tap's "# { total, pass, fail, skip, todo }" comment
let pending = '';
child.stdout.on('data', (chunk) => {
  parser.write(chunk);
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) onLine(line);
});

function onLine(line) {
  const file = /^(not ok|ok) \d+ - (.*?)(?: # time=([\d.]+)ms)?$/.exec(line);
  if (file) {
    const n = counts.get(file[2]);
    const figures = [n === undefined ? '' : `${n} assertions`, file[3] ? `${Math.round(+file[3])} ms` : ''];
    const time = figures.some(Boolean) ? `  (${figures.filter(Boolean).join(', ')})` : '';
    process.stdout.write(`${file[1] === 'ok' ? 'ok    ' : 'FAIL  '} ${file[2]}${time}\n`);
  }
  const sum = /^# (\{ total: .*\})$/.exec(line);
  if (sum) summary = Object.fromEntries([...sum[1].matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

child.on('close', (code, signal) => {
  if (pending) onLine(pending);
  parser.on('complete', async (results) => {
    for (const f of failures) {
      process.stdout.write(`\nFAILED: ${f.fullname || f.name}\n`);
      if (f.diag) process.stdout.write(`${JSON.stringify(f.diag, null, 2).slice(0, 4000)}\n`);
    }
    const pass = summary?.pass ?? results.pass;
    let fail = summary?.fail ?? results.fail;
    if (code !== 0 && fail === 0) {
      fail = 1;
      const why = 'although no assertion failed (a file crashed or timed out)';
      process.stdout.write(`\ntap exited with ${signal ?? code} ${why}\n`);
    }
    if (collectCoverage) await coverageCheck();
    fail += checksFailed;
    const skipped = summary?.skip ? `, ${summary.skip} skipped` : '';
    process.stdout.write(`\n${pass + checksPassed} passed, ${fail} failed${skipped}\n`);
    process.exit(fail > 0 ? 1 : 0);
  });
  parser.end();
});
