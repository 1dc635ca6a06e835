import { Type, type Static } from '@sinclair/typebox';
import { defineFault, type FaultContext, type FaultHooks, type WireTransform } from '../types.js';

const Params = Type.Object(
  {
    seconds: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'kill this many seconds after `from`' })),
    bytes: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'kill once this many bytes (both directions, ClientHello included) have passed',
      }),
    ),
    from: Type.Optional(
      Type.Union([Type.Literal('accept'), Type.Literal('established')], {
        default: 'accept',
        description: 'when the seconds start counting',
      }),
    ),
    how: Type.Optional(
      Type.Union([Type.Literal('reset'), Type.Literal('close')], {
        default: 'reset',
        description: 'reset: TCP RST; close: FIN without close_notify',
      }),
    ),
  },
  { additionalProperties: false },
);
type P = Static<typeof Params>;

function limits(p: P): string {
  const parts = [
    p.seconds !== undefined && `${p.seconds} s after ${p.from === 'established' ? 'the handshake' : 'TCP accept'}`,
    p.bytes !== undefined && `${p.bytes} bytes`,
  ];
  return parts.filter(Boolean).join(' or ');
}

/** A NAT or carrier that drops long or busy connections: the link dies under the device. */
export const killAfter = defineFault({
  name: 'kill-after',
  summary: 'kill the TCP connection after N seconds or N bytes',
  params: Params,
  check: (p) =>
    p.seconds === undefined && p.bytes === undefined ? 'params.seconds or params.bytes (or both)' : undefined,
  example: { seconds: 30 },
  explain: (p) =>
    `the TCP connection is ${p.how === 'close' ? 'closed (FIN, no close_notify)' : 'reset (RST)'} ${limits(p)}, whatever the device is doing then`,
  create: (p, ctx) => {
    const kill = (why: string) => {
      if (ctx.socket.destroyed) return;
      ctx.act(`${p.how === 'close' ? 'closed' : 'reset'} the connection ${why}`);
      if (p.how === 'close') ctx.socket.destroy();
      else ctx.socket.resetAndDestroy();
    };
    const hooks: FaultHooks = {};
    if (p.seconds !== undefined) Object.assign(hooks, timerHooks(p, p.seconds * 1000, ctx, kill));
    if (p.bytes !== undefined) Object.assign(hooks, byteHooks(p.bytes, ctx, kill));
    return hooks;
  },
});

function timerHooks(p: P, ms: number, ctx: FaultContext, kill: (why: string) => void): FaultHooks {
  const arm = (delay: number) => {
    const timer = setTimeout(() => kill(`after ${p.seconds} s`), Math.max(0, delay));
    ctx.socket.once('close', () => clearTimeout(timer));
  };
  if (p.from === 'established') return { established: () => arm(ms) };
  return { hello: () => arm(ms - (Date.now() - ctx.acceptedAt)) };
}

function byteHooks(limit: number, ctx: FaultContext, kill: (why: string) => void): FaultHooks {
  let seen = ctx.helloBytes;
  const counted: WireTransform = async (chunk, out) => {
    const room = limit - seen;
    seen += chunk.length;
    if (room >= chunk.length) return out.push(chunk);
    if (room > 0) await out.push(chunk.subarray(0, room));
    kill(`after ${limit} bytes`);
  };
  if (seen >= limit) return { hello: () => kill(`after ${limit} bytes (the ClientHello alone was ${seen})`) };
  return { serverToClient: counted, clientToServer: counted };
}
