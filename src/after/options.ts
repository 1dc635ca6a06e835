/**
 * The `after:` field of an endpoint: a mode name (`hold`, `mqtt`, …) or an object with the mode
 * and its options, e.g. `{ mode: forward, upstream: { host, port, ca, servername } }`.
 */
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { didYouMean } from '../util/suggest.js';

const Upstream = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'upstream host to open TLS to' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    ca: Type.Optional(Type.String({ description: 'PEM file the upstream chain must verify against (default: the system roots)' })),
    servername: Type.Optional(Type.String({ minLength: 1, description: "SNI and name checked in the upstream certificate (default: the device's SNI, else host)" })),
    cert: Type.Optional(Type.String({ description: 'PEM client certificate to present upstream' })),
    key: Type.Optional(Type.String({ description: 'PEM key of that certificate' })),
    insecure: Type.Optional(Type.Boolean({ description: 'do not verify the upstream chain (watching only)' })),
  },
  { additionalProperties: false },
);

export const AfterObject = Type.Object(
  {
    mode: Type.String({ description: 'after-TLS mode' }),
    upstream: Type.Optional(Upstream),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 300, description: 'DPS: retry-after of the 202 answer to a registration (Azure sends 3)' })),
  },
  { additionalProperties: false },
);

export const AfterRef = Type.Union([Type.String({ description: 'after-TLS mode: hold | close | mqtt | https | auto | forward' }), AfterObject]);

export type AfterRefFile = Static<typeof AfterRef>;
export type UpstreamOptions = Static<typeof Upstream>;

export interface AfterOptions {
  upstream?: UpstreamOptions;
  retryAfterSeconds: number;
}

export const AFTER_DEFAULTS = { retryAfterSeconds: 3 } as const;

export function afterModeName(ref: AfterRefFile | undefined): string | undefined {
  return typeof ref === 'object' ? ref.mode : ref;
}

/** Options with defaults, file paths resolved against the scenario's folder. */
export function compileAfterOptions(ref: AfterRefFile | undefined, baseDir: string): AfterOptions {
  const o = typeof ref === 'object' ? ref : undefined;
  const up = o?.upstream;
  const file = (f: string | undefined) => (f === undefined ? undefined : resolve(baseDir, f));
  return {
    retryAfterSeconds: o?.retryAfterSeconds ?? AFTER_DEFAULTS.retryAfterSeconds,
    ...(up ? { upstream: { ...up, ca: file(up.ca), cert: file(up.cert), key: file(up.key) } } : {}),
  };
}

export interface AfterProblem {
  segs: Array<string | number>;
  found?: unknown;
  expected: string;
}

function unreadable(f: string, baseDir: string): boolean {
  try {
    accessSync(resolve(baseDir, f), constants.R_OK);
    return false;
  } catch {
    return true;
  }
}

/** Problems relative to the `after` field: unknown mode, forward without upstream, unreadable files. */
export function afterProblems(ref: AfterRefFile, modes: readonly string[], baseDir: string): AfterProblem[] {
  const mode = afterModeName(ref)!;
  const at = typeof ref === 'object' ? ['mode'] : [];
  if (!modes.includes(mode)) return [{ segs: at, found: mode, expected: `one of ${modes.join(', ')}${didYouMean(mode, modes)}` }];
  if (typeof ref !== 'object') return mode === 'forward' ? [{ segs: [], found: mode, expected: '{ mode: forward, upstream: { host, port } } (forward needs an upstream)' }] : [];
  const out: AfterProblem[] = [];
  if (mode === 'forward' && !ref.upstream) out.push({ segs: ['upstream'], expected: 'this field (forward needs upstream: { host, port })' });
  if (mode !== 'forward' && ref.upstream) out.push({ segs: ['upstream'], found: 'upstream', expected: 'no upstream unless mode is forward' });
  for (const k of ['ca', 'cert', 'key'] as const) {
    const f = ref.upstream?.[k];
    if (f !== undefined && unreadable(f, baseDir)) out.push({ segs: ['upstream', k], found: f, expected: `a readable PEM file (resolved to ${resolve(baseDir, f)})` });
  }
  if (!!ref.upstream?.cert !== !!ref.upstream?.key) out.push({ segs: ['upstream'], expected: 'cert and key together (or neither)' });
  return out;
}
