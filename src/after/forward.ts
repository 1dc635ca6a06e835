/**
 * `forward`: a man in the middle with Azure's TLS rules. The device's TLS was terminated with the
 * emulated profile and chain; here a second TLS connection goes to a real upstream (its own
 * trust: `upstream.ca`, SNI: `upstream.servername` or the device's), and bytes are piped both ways.
 * Session events log the upstream handshake, byte counts and timing. File paths in the options are
 * checked (readable) and resolved against the scenario's folder.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import net from 'node:net';
import { resolve } from 'node:path';
import tls from 'node:tls';
import { Type, type Static } from '@sinclair/typebox';
import { publishSession } from './events.js';
import { defineAfterMode, type AfterProblem, type SessionContext } from './types.js';

const Upstream = Type.Object(
  {
    host: Type.String({ minLength: 1, description: 'upstream host to open TLS to' }),
    port: Type.Integer({ minimum: 1, maximum: 65535 }),
    ca: Type.Optional(
      Type.String({ description: 'PEM file the upstream chain must verify against (default: the system roots)' }),
    ),
    servername: Type.Optional(
      Type.String({
        minLength: 1,
        description: "SNI and name checked in the upstream certificate (default: the device's SNI, else host)",
      }),
    ),
    cert: Type.Optional(Type.String({ description: 'PEM client certificate to present upstream' })),
    key: Type.Optional(Type.String({ description: 'PEM key of that certificate' })),
    insecure: Type.Optional(Type.Boolean({ description: 'do not verify the upstream chain (watching only)' })),
  },
  { additionalProperties: false },
);

const timeout = (what: string) =>
  Type.Integer({ minimum: 1, maximum: 300_000, description: `ms to wait for the upstream's ${what} (default 10000)` });

/** Optional in the schema so that its absence is reported by `forwardProblems`, in its own words. */
const ForwardOptions = Type.Object(
  {
    upstream: Type.Optional(Upstream),
    connectTimeoutMs: Type.Optional(timeout('TCP connect')),
    handshakeTimeoutMs: Type.Optional(timeout('TLS handshake, counted from the TCP connect')),
  },
  { additionalProperties: false },
);

/** An upstream that never answers must not hold a device forever. */
const FORWARD_DEFAULTS = { connectTimeoutMs: 10_000, handshakeTimeoutMs: 10_000 };

type UpstreamOptions = Static<typeof Upstream>;
type Timeouts = typeof FORWARD_DEFAULTS;
type ForwardSettings = { readonly upstream: UpstreamOptions } & Timeouts;

function unreadable(f: string, baseDir: string): boolean {
  try {
    accessSync(resolve(baseDir, f), constants.R_OK);
    return false;
  } catch {
    return true;
  }
}

function fileProblems(up: UpstreamOptions, baseDir: string): AfterProblem[] {
  const out: AfterProblem[] = [];
  for (const k of ['ca', 'cert', 'key'] as const) {
    const f = up[k];
    if (f === undefined || !unreadable(f, baseDir)) continue;
    out.push({ segs: ['upstream', k], found: f, expected: `a readable PEM file (resolved to ${resolve(baseDir, f)})` });
  }
  return out;
}

/** An upstream is required; its files must be readable; a client cert comes with its key. */
function forwardProblems(given: Static<typeof ForwardOptions> | undefined, baseDir: string): AfterProblem[] {
  if (!given) {
    const expected = '{ mode: forward, upstream: { host, port } } (forward needs an upstream)';
    return [{ segs: [], found: 'forward', expected }];
  }
  const up = given.upstream;
  if (!up) return [{ segs: ['upstream'], expected: 'this field (forward needs upstream: { host, port })' }];
  const out = fileProblems(up, baseDir);
  if (!!up.cert !== !!up.key) out.push({ segs: ['upstream'], expected: 'cert and key together (or neither)' });
  return out;
}

/** Paths resolved against the scenario's folder (validation made sure the upstream is there). */
function resolveUpstream(given: Static<typeof ForwardOptions>, baseDir: string): ForwardSettings {
  const up = given.upstream;
  if (!up) throw new Error("forward needs upstream: { host, port } in the endpoint's after field");
  const file = (f: string | undefined) => (f === undefined ? undefined : resolve(baseDir, f));
  return {
    upstream: { ...up, ca: file(up.ca), cert: file(up.cert), key: file(up.key) },
    connectTimeoutMs: given.connectTimeoutMs ?? FORWARD_DEFAULTS.connectTimeoutMs,
    handshakeTimeoutMs: given.handshakeTimeoutMs ?? FORWARD_DEFAULTS.handshakeTimeoutMs,
  };
}

function read(file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : readFileSync(file);
}

function upstreamOptions(ctx: SessionContext, up: UpstreamOptions): tls.ConnectionOptions {
  const sni =
    up.servername ??
    (ctx.established.tlsSocket?.servername || ctx.established.servername || undefined) ??
    (net.isIP(up.host) ? undefined : up.host);
  return {
    host: up.host,
    port: up.port,
    servername: sni,
    ca: read(up.ca),
    cert: read(up.cert),
    key: read(up.key),
    rejectUnauthorized: !up.insecure,
    ALPNProtocols: typeof ctx.established.alpn === 'string' ? [ctx.established.alpn] : undefined,
    // The device's checks are its own; upstream, verify the name we dial (or were told).
    checkServerIdentity: (host, cert) => tls.checkServerIdentity(sni ?? host, cert),
  };
}

function pipeBoth(ctx: SessionContext, up: tls.TLSSocket, started: number, connectMs: number): void {
  const device = ctx.established.stream;
  const counts = { fromDevice: 0, fromUpstream: 0 };
  let firstUpstreamByteMs: number | undefined;
  device.on('data', (b: Buffer) => (counts.fromDevice += b.length));
  up.on('data', (b: Buffer) => {
    firstUpstreamByteMs ??= Math.round(performance.now() - started);
    counts.fromUpstream += b.length;
  });
  device.pipe(up);
  up.pipe(device);
  let closed = false;
  const finish = (who: string) => {
    if (closed) return;
    closed = true;
    device.destroy();
    up.destroy();
    const durationMs = Math.round(performance.now() - started);
    publishSession(ctx, 'forward', {
      action: 'forward-close',
      ok: true,
      reason: `${who} closed; ${counts.fromDevice} bytes device→upstream, ${counts.fromUpstream} bytes upstream→device in ${durationMs} ms`,
      detail: { ...counts, durationMs, connectMs, firstUpstreamByteMs },
    });
  };
  device.once('close', () => finish('device'));
  up.once('close', () => finish('upstream'));
  up.on('error', () => {});
}

function announce(ctx: SessionContext, up: tls.TLSSocket, target: string, connectMs: number): void {
  const cert = up.getPeerX509Certificate();
  const suite = up.getCipher().standardName;
  publishSession(ctx, 'forward', {
    action: 'forward-open',
    ok: true,
    reason: `upstream ${target} ${up.getProtocol()} ${suite} in ${connectMs} ms`,
    detail: {
      upstream: target,
      servername: (up as tls.TLSSocket & { servername?: string }).servername,
      protocol: up.getProtocol(),
      suite,
      upstreamSubject: cert?.subject.replace(/\n/g, ', '),
      connectMs,
    },
  });
}

function refuse(ctx: SessionContext, target: string, e: Error & { code?: string }): void {
  publishSession(ctx, 'forward', {
    action: 'forward-open',
    ok: false,
    reason: `upstream ${target} failed: ${e.message}`,
    detail: { code: e.code },
  });
  ctx.established.stream.destroy();
}

/**
 * Fails the upstream when its TCP connect, then its TLS handshake, takes longer than allowed: the
 * connect timer runs from the dial, the handshake timer from the TCP connect. Returns the canceller.
 */
function armTimeouts(up: tls.TLSSocket, t: Timeouts, fail: (e: Error) => void): () => void {
  const expire = (code: string, text: string) => () => {
    up.destroy();
    fail(Object.assign(new Error(text), { code }));
  };
  let timer = setTimeout(
    expire('UPSTREAM_CONNECT_TIMEOUT', `no TCP connect within ${t.connectTimeoutMs} ms (connectTimeoutMs)`),
    t.connectTimeoutMs,
  );
  up.once('connect', () => {
    clearTimeout(timer);
    const text = `connected, but no TLS handshake within ${t.handshakeTimeoutMs} ms (handshakeTimeoutMs)`;
    timer = setTimeout(expire('UPSTREAM_HANDSHAKE_TIMEOUT', text), t.handshakeTimeoutMs);
  });
  return () => clearTimeout(timer);
}

/** Opens the upstream; the device's bytes wait (paused stream) until it is verified and piped. */
function openUpstream(ctx: SessionContext, settings: ForwardSettings): void {
  const opts = settings.upstream;
  const started = performance.now();
  const target = `${opts.host}:${opts.port}`;
  const device = ctx.established.stream;
  let up: tls.TLSSocket;
  try {
    up = tls.connect(upstreamOptions(ctx, opts));
  } catch (e) {
    return refuse(ctx, target, e as Error);
  }
  let settled = false;
  const fail = (e: Error) => {
    if (settled) return;
    settled = true;
    cancel();
    device.off('close', abort);
    refuse(ctx, target, e);
  };
  const cancel = armTimeouts(up, settings, fail);
  const abort = () => ((settled = true), cancel(), up.destroy());
  device.once('close', abort);
  up.once('error', fail);
  up.once('secureConnect', () => {
    settled = true;
    cancel();
    up.off('error', fail);
    device.off('close', abort);
    const connectMs = Math.round(performance.now() - started);
    announce(ctx, up, target, connectMs);
    pipeBoth(ctx, up, started, connectMs);
  });
}

export const forwardMode = defineAfterMode({
  name: 'forward',
  description:
    'terminate TLS with the emulated policy and chain, open TLS to a real upstream (its own trust) ' +
    'and pipe both ways, logging bytes and timing',
  options: ForwardOptions,
  defaults: FORWARD_DEFAULTS,
  problems: forwardProblems,
  compile: resolveUpstream,
  start(ctx, settings) {
    openUpstream(ctx, settings);
  },
});
