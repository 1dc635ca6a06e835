/**
 * All fault definitions by name. Adding a fault is one file in defs/ and one line here
 * (see README.md).
 */
import type { AnyFault } from './types.js';
import { resetAfterHello } from './defs/reset-after-hello.js';
import { closeAfterServerHello } from './defs/close-after-server-hello.js';
import { delayServerHello } from './defs/delay-server-hello.js';
import { slowBytes } from './defs/slow-bytes.js';
import { stall } from './defs/stall.js';
import { killAfter } from './defs/kill-after.js';
import { truncateChain } from './defs/truncate-chain.js';
import { serveDefect } from './defs/serve-defect.js';
import { oversizeRecords } from './defs/oversize-records.js';
import { tinyRecords } from './defs/tiny-records.js';
import { badSignature } from './defs/bad-signature.js';

export const FAULTS: readonly AnyFault[] = [
  resetAfterHello,
  closeAfterServerHello,
  delayServerHello,
  slowBytes,
  stall,
  killAfter,
  truncateChain,
  serveDefect,
  oversizeRecords,
  tinyRecords,
  badSignature,
];

const BY_NAME = new Map(FAULTS.map((f) => [f.name, f]));

export function faultNames(): string[] {
  return FAULTS.map((f) => f.name);
}

export function findFault(name: string): AnyFault | undefined {
  return BY_NAME.get(name);
}
