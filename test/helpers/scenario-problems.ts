/** What loadScenario says of a scenario it refuses: its ScenarioError message (the test fails when it is accepted). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadScenario, type ValidationContext } from '../../src/scenario/load.js';
import { ScenarioError } from '../../src/scenario/problems.js';

/** Writes scenario text to a fresh temp file and returns its path. */
export function scenarioText(text: string): string {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'hubtls-scn-')), 'scenario.yaml');
  writeFileSync(file, text);
  return file;
}

export function problemsOf(file: string, ctx: ValidationContext): string {
  try {
    loadScenario(file, ctx);
  } catch (e) {
    if (e instanceof ScenarioError) return e.message;
    throw e;
  }
  throw new Error(`${file} was accepted`);
}

/** problemsOf for scenario text. */
export function problems(text: string, ctx: ValidationContext): string {
  return problemsOf(scenarioText(text), ctx);
}
