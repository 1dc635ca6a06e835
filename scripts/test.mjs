#!/usr/bin/env node
// Runs the tap suite and ends with the plain line CI reads: "N passed, N failed".
// tap's own summary is a comment CI does not understand ("# { total: 94, pass: 94 }"): we read
// it from the raw TAP stream, print one line per test file plus the failures, then the plain line.
import { spawn, spawnSync } from 'node:child_process';
import { Parser } from 'tap-parser';

// The type check counts as one test: strict TypeScript is part of what "passing" means here.
const tsc = spawnSync('npx', ['tsc', '--noEmit', '-p', 'tsconfig.json'], { encoding: 'utf8' });
const typecheckOk = tsc.status === 0;
process.stdout.write(`${typecheckOk ? 'ok    ' : 'FAIL  '} typecheck (tsc --noEmit, strict)\n`);
if (!typecheckOk) process.stdout.write(tsc.stdout + tsc.stderr);

const child = spawn('npx', ['tap', '--reporter=tap', ...process.argv.slice(2)], { stdio: ['ignore', 'pipe', 'inherit'] });

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
  if (file) process.stdout.write(`${file[1] === 'ok' ? 'ok    ' : 'FAIL  '} ${file[2]}${file[3] ? `  (${Math.round(+file[3])} ms)` : ''}\n`);
  const sum = /^# (\{ total: .*\})$/.exec(line);
  if (sum) summary = Object.fromEntries([...sum[1].matchAll(/(\w+): (\d+)/g)].map((m) => [m[1], Number(m[2])]));
}

child.on('close', (code, signal) => {
  if (pending) onLine(pending);
  parser.on('complete', (results) => {
    for (const f of failures) {
      process.stdout.write(`\nFAILED: ${f.fullname || f.name}\n`);
      if (f.diag) process.stdout.write(`${JSON.stringify(f.diag, null, 2).slice(0, 4000)}\n`);
    }
    const pass = summary?.pass ?? results.pass;
    let fail = summary?.fail ?? results.fail;
    if (code !== 0 && fail === 0) {
      fail = 1;
      process.stdout.write(`\ntap exited with ${signal ?? code} although no assertion failed (a file crashed or timed out)\n`);
    }
    if (!typecheckOk) fail += 1;
    const skipped = summary?.skip ? `, ${summary.skip} skipped` : '';
    process.stdout.write(`\n${pass + (typecheckOk ? 1 : 0)} passed, ${fail} failed${skipped}\n`);
    process.exit(fail > 0 ? 1 : 0);
  });
  parser.end();
});
