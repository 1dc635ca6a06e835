/**
 * All fault definitions by name. Adding a fault is one file in this folder and one line here
 * (see README.md).
 */
import type { AnyFault } from './types.js';
import { resetAfterHello } from './reset-after-hello.js';
import { closeAfterServerHello } from './close-after-server-hello.js';
import { delayServerHello } from './delay-server-hello.js';
import { slowBytes } from './slow-bytes.js';
import { stall } from './stall.js';
import { killAfter } from './kill-after.js';
import { truncateChain } from './truncate-chain.js';
import { serveDefect } from './serve-defect.js';
import { oversizeRecords } from './oversize-records.js';
import { tinyRecords } from './tiny-records.js';
import { badSignature } from './bad-signature.js';

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
