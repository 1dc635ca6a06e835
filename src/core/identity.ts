/**
 * IoT Hub's identity bookkeeping: generation ids, etags, status, IoT Edge scopes, and the twin's
 * own version and etag. Formats follow what IoT Hub returns: generationId is an 18-digit number,
 * a device etag is base64 text, a twin etag is the base64 of its 64-bit version ("AAAAAAAAAAE=").
 */
import crypto from 'node:crypto';
import type { Identity, TwinMeta } from './types.js';

/** .NET ticks at the Unix epoch: IoT Hub's generation ids are tick counts. */
const EPOCH_TICKS = 621_355_968_000_000_000n;

export function generationId(now: Date): string {
  return String(EPOCH_TICKS + BigInt(now.getTime()) * 10_000n + BigInt(crypto.randomInt(10_000)));
}

/** A fresh device etag (IoT Hub's are opaque base64 strings). */
export function deviceEtag(): string {
  return Buffer.from(String(crypto.randomInt(2 ** 47))).toString('base64');
}

export function twinEtag(version: number): string {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(version));
  return b.toString('base64');
}

/** The scope IoT Hub gives an IoT Edge device: `ms-azure-iot-edge://{deviceId}-{generationId}`. */
export function edgeScope(deviceId: string, generation: string): string {
  return `ms-azure-iot-edge://${deviceId}-${generation}`;
}

export function newIdentity(deviceId: string, now: Date, edge = false): Identity {
  const generation = generationId(now);
  return {
    generationId: generation,
    etag: deviceEtag(),
    status: 'enabled',
    statusUpdatedTime: now.toISOString(),
    iotEdge: edge,
    ...(edge ? { deviceScope: edgeScope(deviceId, generation) } : {}),
    parentScopes: [],
  };
}

export function newTwinMeta(now: Date): TwinMeta {
  const at = now.toISOString();
  return { version: 1, etag: twinEtag(1), tags: {}, desiredUpdated: at, reportedUpdated: at };
}

/** Any twin change (tags, desired, reported) bumps the twin's version and etag. */
export function bumpTwin(meta: TwinMeta): void {
  meta.version++;
  meta.etag = twinEtag(meta.version);
}

/** `If-Match` as IoT Hub reads it: absent or `*` matches anything; quotes are optional. */
export function etagMatches(ifMatch: string | undefined, etag: string): boolean {
  if (ifMatch === undefined) return true;
  const want = ifMatch
    .trim()
    .replace(/^W\//, '')
    .replace(/^"(.*)"$/, '$1');
  return want === '*' || want === etag;
}
