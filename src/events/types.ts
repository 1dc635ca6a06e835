import type { OutcomeCode } from './outcomes.js';
import type { TlsVersion } from '../profiles/suites.js';
import type { FaultRecord } from '../faults/types.js';

/** The ClientHello as it appears in events and reports (compact, JSON-friendly). */
export interface HelloView {
  sni?: string;
  versions: TlsVersion[];
  suites: string[];
  groups: string[];
  sigalgs: string[];
  alpn: string[];
  maxFragmentLength?: number;
  ja3: string;
  ja4: string;
  bytes: number;
}

/** One per connection that reached a verdict: the event a user greps for. */
export interface HandshakeEvent {
  type: 'handshake';
  conn: number;
  listener: string;
  peer: string;
  endpoint?: string;
  profile?: string;
  outcome: OutcomeCode;
  /** Why, in words (explain()). */
  reason: string;
  alertSent?: string;
  alertReceived?: string;
  hello?: HelloView;
  negotiated?: { version: string; suite: string; alpn?: string | false };
  chain?: { id: string; keyType: string; leafSha256: string; root: string };
  engine?: string;
  clientCert?: { subject: string; sha1: string; sha256: string; notAfter: string };
  mfl?: { requested: number; mode: string };
  notes?: string[];
  /** Scenario faults that acted on this connection before the verdict (src/faults/). */
  faults?: FaultRecord[];
  durationMs: number;
}

export interface ReadyEvent {
  type: 'ready';
  listeners: Array<{ address: string; port: number; endpoints: string[] }>;
  admin?: { url: string };
  scenario: string;
}

/** Anything else worth a line: state changes, warnings, lifecycle. */
export interface NoticeEvent {
  type: 'notice';
  level: 'info' | 'warn' | 'error';
  what: string;
  msg: string;
  [key: string]: unknown;
}

/** What happened after TLS: a device's MQTT / HTTPS request, or a forwarded connection. */
export interface SessionEvent {
  type: 'session';
  conn: number;
  endpoint: string;
  peer: string;
  protocol: 'mqtt' | 'https' | 'forward';
  action: 'connect' | 'disconnect' | 'telemetry' | 'twin-get' | 'twin-patch' | 'method' | 'c2d' | 'subscribe' | 'dps-register' | 'dps-status' | 'request' | 'forward-open' | 'forward-close';
  ok: boolean;
  /** Set on refusals that have a stable code (HUBTLS_MTLS_UNAUTHORIZED, HUBTLS_DEVICE_UNAUTHORIZED). */
  outcome?: OutcomeCode;
  deviceId?: string;
  registrationId?: string;
  /** CONNACK return code, HTTP status or DPS status code. */
  status?: number;
  /** Azure's numeric error code (401002, 401003, …) on refusals. */
  errorCode?: number;
  reason: string;
  detail?: Record<string, unknown>;
}

export type HubEvent = HandshakeEvent | ReadyEvent | NoticeEvent | SessionEvent;
