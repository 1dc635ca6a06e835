#!/usr/bin/env node
// Runs the tap suite and ends with the plain line CI reads: "N passed, N failed".
// tap's own summary is a comment CI does not understand, so we parse the raw TAP stream
// (flattened: every leaf assertion counts once) and print one line per test file.
import { spawn } from 'node:child_process';
import { Parser } from 'tap-parser';

const args = ['tap', '--reporter=tap', ...process.argv.slice(2)];
const child = spawn('npx', args, { stdio: ['ignore', 'pipe', 'inherit'] });

const flat = new Parser({ flat: true });
const failures = [];
flat.on('assert', (a) => {
  if (!a.ok && !a.todo && !a.skip) failures.push(a);
});

let pending = '';
child.stdout.on('data', (chunk) => {
  flat.write(chunk);
  pending += chunk.toString('utf8');
  const lines = pending.split('\n');
  pending = lines.pop() ?? '';
  for (const line of lines) printFileResult(line);
});

// Top-level TAP lines (no indentation) are one per test file.
function printFileResult(line) {
  const m = /^(not ok|ok) \d+ - (.*?)(?: # time=([\d.]+)ms)?$/.exec(line);
  if (m) process.stdout.write(`${m[1] === 'ok' ? 'ok    ' : 'FAIL  '} ${m[2]}${m[3] ? `  (${Math.round(+m[3])} ms)` : ''}\n`);
}

child.on('close', (code, signal) => {
  flat.on('complete', (results) => {
    for (const f of failures) {
      process.stdout.write(`\nFAILED: ${f.fullname || f.name}\n`);
      if (f.diag) process.stdout.write(`${JSON.stringify(f.diag, null, 2)}\n`);
    }
    const failed = results.fail + (code !== 0 && results.fail === 0 ? 1 : 0);
    if (code !== 0 && results.fail === 0) {
      process.stdout.write(`\ntap exited with ${signal ?? code} although no assertion failed (a file crashed or timed out)\n`);
    }
    process.stdout.write(`\n${results.pass} passed, ${failed} failed\n`);
    process.exit(failed > 0 || code !== 0 ? 1 : 0);
  });
  flat.end();
});
