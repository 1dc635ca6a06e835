/**
 * Device-side test helpers: the exported stand-in roots as a device would get them, random
 * symmetric keys, and waiting for `session` events (never sleeping).
 */
import crypto from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { SessionEvent } from '../../src/events/types.js';
import { exportTrust } from '../../src/pki/export.js';
import { nextEvent } from './events.js';
import type { TestHub } from './hub.js';
import { sharedStore } from './pki.js';

export interface Trust {
  dir: string;
  g2: string;
  baltimore: string;
  /** G2 + Baltimore + the other Azure roots (the legacy bundle). */
  both: string;
}

/** `hubtls certs export` into a temp dir, read back as PEM text (what a user hands the SDK as `ca`). */
export async function exportedTrust(): Promise<Trust> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'hubtls-trust-'));
  const files = await exportTrust(await sharedStore(), { out: dir, format: 'pem' });
  const read = (suffix: string) =>
    readFileSync(
      files.find((f) => f.endsWith(suffix))!,
      'utf8',
    );
  return {
    dir,
    g2: read('digicert-global-root-g2.pem'),
    baltimore: read('baltimore-cybertrust-root.pem'),
    both: read('azure-roots-legacy-bundle.pem'),
  };
}

export function randomKey(): string {
  return crypto.randomBytes(32).toString('base64');
}

export function sessions(th: TestHub): SessionEvent[] {
  return th.events.filter((e): e is SessionEvent => e.type === 'session');
}

/** The first `session` event (seen since event index `after`, or future) matching `pred`. */
export function nextSession(
  th: TestHub,
  pred: (e: SessionEvent) => boolean,
  after = 0,
  timeoutMs = 20_000,
): Promise<SessionEvent> {
  return nextEvent(th, (e): e is SessionEvent => e.type === 'session' && pred(e), timeoutMs, after);
}
