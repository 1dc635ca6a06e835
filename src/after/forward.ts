/**
 * `forward`: a man in the middle with Azure's TLS rules. The device's TLS was terminated with the
 * emulated profile and chain; here a second TLS connection goes to a real upstream (its own
 * trust: `upstream.ca`, SNI: `upstream.servername` or the device's), and bytes are piped both ways.
 * Session events log the upstream handshake, byte counts and timing.
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import type { UpstreamOptions } from './options.js';
import { publishSession } from './events.js';
import type { AfterTlsMode, SessionContext } from './types.js';

function read(file: string | undefined): Buffer | undefined {
  return file === undefined ? undefined : readFileSync(file);
}

function upstreamOptions(ctx: SessionContext, up: UpstreamOptions): tls.ConnectionOptions {
  const sni = up.servername ?? (ctx.established.tlsSocket?.servername || undefined) ?? (net.isIP(up.host) ? undefined : up.host);
  return {
    host: up.host, port: up.port, servername: sni, ca: read(up.ca), cert: read(up.cert), key: read(up.key),
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
    publishSession(ctx, 'forward', { action: 'forward-close', ok: true, reason: `${who} closed; ${counts.fromDevice} bytes device→upstream, ${counts.fromUpstream} bytes upstream→device in ${durationMs} ms`, detail: { ...counts, durationMs, connectMs, firstUpstreamByteMs } });
  };
  device.once('close', () => finish('device'));
  up.once('close', () => finish('upstream'));
  up.on('error', () => {});
}

function announce(ctx: SessionContext, up: tls.TLSSocket, target: string, connectMs: number): void {
  const cert = up.getPeerX509Certificate();
  const suite = up.getCipher().standardName;
  publishSession(ctx, 'forward', {
    action: 'forward-open', ok: true, reason: `upstream ${target} ${up.getProtocol()} ${suite} in ${connectMs} ms`,
    detail: { upstream: target, servername: (up as tls.TLSSocket & { servername?: string }).servername, protocol: up.getProtocol(), suite, upstreamSubject: cert?.subject.replace(/\n/g, ', '), connectMs },
  });
}

function refuse(ctx: SessionContext, target: string, e: Error & { code?: string }): void {
  publishSession(ctx, 'forward', { action: 'forward-open', ok: false, reason: `upstream ${target} failed: ${e.message}`, detail: { code: e.code } });
  ctx.established.stream.destroy();
}

/** Opens the upstream; the device's bytes wait (paused stream) until it is verified and piped. */
function openUpstream(ctx: SessionContext, opts: UpstreamOptions): void {
  const started = performance.now();
  const target = `${opts.host}:${opts.port}`;
  const device = ctx.established.stream;
  let up: tls.TLSSocket;
  try {
    up = tls.connect(upstreamOptions(ctx, opts));
  } catch (e) {
    return refuse(ctx, target, e as Error);
  }
  const abort = () => up.destroy();
  const fail = (e: Error) => refuse(ctx, target, e);
  device.once('close', abort);
  up.once('error', fail);
  up.once('secureConnect', () => {
    up.off('error', fail);
    device.off('close', abort);
    const connectMs = Math.round(performance.now() - started);
    announce(ctx, up, target, connectMs);
    pipeBoth(ctx, up, started, connectMs);
  });
}

export const forwardMode: AfterTlsMode = {
  name: 'forward',
  description: 'terminate TLS with the emulated policy and chain, open TLS to a real upstream (its own trust) and pipe both ways, logging bytes and timing',
  start(ctx) {
    const opts = ctx.endpoint.afterOptions.upstream;
    if (!opts) throw new Error("forward needs upstream: { host, port } in the endpoint's after field");
    openUpstream(ctx, opts);
  },
};
