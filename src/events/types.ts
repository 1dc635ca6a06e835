/**
 * Every event on the bus. Each is one TypeBox definition (handshake.ts, session.ts, lifecycle.ts, verdict.ts):
 * the types here are derived from them, and the admin API documents and serialises with the same.
 */
import { Type } from '@sinclair/typebox';
import { HandshakeEvent } from './handshake.js';
import { SessionEvent } from './session.js';
import { NoticeEvent, ReadyEvent } from './lifecycle.js';
import { VerdictEvent } from './verdict.js';

export { FaultRecord, HandshakeEvent, HelloView } from './handshake.js';
export { SessionEvent } from './session.js';
export { NoticeEvent, ReadyEvent } from './lifecycle.js';
export { VerdictEvent } from './verdict.js';

export const HubEvent = Type.Union([HandshakeEvent, ReadyEvent, NoticeEvent, SessionEvent, VerdictEvent]);

export type HubEvent = HandshakeEvent | ReadyEvent | NoticeEvent | SessionEvent | VerdictEvent;
