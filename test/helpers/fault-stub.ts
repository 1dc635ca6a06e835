/**
 * An in-memory stand-in for one connection, so a fault definition's hooks can be unit-tested
 * without sockets, an engine or a hub: a socket that records how it was ended, a context that
 * records what the fault did, and a wire sink that records what a transform let through.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ChainMaterial } from '../../src/pki/types.js';
import type { HelloView } from '../../src/events/types.js';
import { findFault } from '../../src/faults/registry.js';
import { withDefaults } from '../../src/faults/params.js';
import type { FaultContext, FaultHooks, WireOut } from '../../src/faults/types.js';

/** The socket parts faults use; `ended` says how the fault ended it. */
export class StubSocket extends EventEmitter {
  destroyed = false;
  ended: 'reset' | 'close' | undefined;
  resumed = false;

  resetAndDestroy(): this {
    return this.finish('reset');
  }

  destroy(): this {
    return this.finish('close');
  }

  resume(): this {
    this.resumed = true;
    return this;
  }

  /** Like net.Socket: destroyed at once, 'close' on a later tick. */
  private finish(how: 'reset' | 'close'): this {
    if (this.destroyed) return this;
    this.destroyed = true;
    this.ended = how;
    setImmediate(() => this.emit('close'));
    return this;
  }
}

export interface FaultStub {
  ctx: FaultContext;
  socket: StubSocket;
  /** Every `ctx.act(detail)`, in order. */
  acts: string[];
  timeout: { suspended: number; resumed: number };
}

const HELLO: HelloView = {
  versions: ['TLSv1.2'],
  suites: [],
  groups: [],
  sigalgs: [],
  alpn: [],
  ja3: '',
  ja4: '',
  bytes: 0,
};

export interface StubOptions {
  helloBytes?: number;
  acceptedAt?: number;
  phase?: 'handshake' | 'established';
  /** What `ctx.chain(id)` returns (the chains a definition names in `chains(params)`). */
  chains?: Record<string, ChainMaterial>;
}

export function faultStub(o: StubOptions = {}): FaultStub {
  const socket = new StubSocket();
  const acts: string[] = [];
  const timeout = { suspended: 0, resumed: 0 };
  const ctx: FaultContext = {
    conn: 1,
    endpoint: 'hub',
    socket: socket as unknown as Socket,
    acceptedAt: o.acceptedAt ?? Date.now(),
    helloBytes: o.helloBytes ?? 0,
    hello: HELLO,
    phase: () => o.phase ?? 'handshake',
    act: (detail = '') => void acts.push(detail),
    suspendTimeout: () => void timeout.suspended++,
    resumeTimeout: () => void timeout.resumed++,
    chain: (id) => {
      const c = o.chains?.[id];
      if (!c) throw new Error(`stub: chain ${id} not given`);
      return c;
    },
  };
  return { ctx, socket, acts, timeout };
}

/** The registered definition `name`, created on the stub with `params` (defaults applied). */
export function createFault(name: string, params: Record<string, unknown>, stub: FaultStub): FaultHooks {
  const def = findFault(name);
  if (!def) throw new Error(`no fault ${name}`);
  return def.create(withDefaults(def, params) as never, stub.ctx);
}

/** Collects what a wire transform passes on; delays are recorded, not waited. */
export class WireSink implements WireOut {
  readonly pushed: Buffer[] = [];
  readonly delays: number[] = [];
  how: 'end' | 'reset' | undefined;

  async push(bytes: Buffer): Promise<void> {
    this.pushed.push(Buffer.from(bytes));
  }

  async delay(ms: number): Promise<void> {
    this.delays.push(ms);
  }

  end(): void {
    this.how ??= 'end';
  }

  reset(): void {
    this.how ??= 'reset';
  }

  get closed(): boolean {
    return this.how !== undefined;
  }

  get bytes(): Buffer {
    return Buffer.concat(this.pushed);
  }
}
