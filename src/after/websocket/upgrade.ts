/**
 * WebSockets on the HTTPS port, as IoT Hub and DPS serve them on 443: an upgrade on
 * `/$iothub/websocket` (the SDKs may add a query such as `?iothub-no-client-cert=true`) with a
 * subprotocol from subprotocols.ts, whose responder then runs over the WebSocket's byte stream.
 * The framing is the `ws` library's; this file decides what is accepted and says so in events.
 *
 * Refusals are HTTP answers to the upgrade request, each with a `ws-upgrade` session event (ok false):
 * 404 another path, 405 not GET, 400 no subprotocol served here or a handshake `ws` finds invalid.
 * Inside an open WebSocket, a message over WS_MAX_PAYLOAD closes it with 1009, a malformed frame
 * with 1002 (1007 for bad UTF-8 in text), as `ws` does, with a `ws-close` session event; a
 * responder that throws at start closes with 1011. Each ends this one connection only.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream, type WebSocket } from 'ws';
import { publishSession } from '../events.js';
import type { SessionContext } from '../types.js';
import type { DpsSettings } from '../dps-options.js';
import { offeredSubprotocols, pickSubprotocol, WS_SUBPROTOCOLS, type WsSubprotocol } from './subprotocols.js';

/** The one path IoT Hub and DPS accept WebSockets on. */
export const WS_PATH = '/$iothub/websocket';

/**
 * Largest WebSocket message accepted: IoT Hub's 256 KiB message with its properties and framing
 * (MQTT's packet limit is 320 KiB) fits with room; anything larger is not a device's message.
 */
export const WS_MAX_PAYLOAD = 512 * 1024;

/** The close code `ws` sends for each of its receive errors (its codes; anything else is a protocol error). */
const CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
  WS_ERR_TOO_MANY_BUFFERED_PARTS: 1008,
};

export type UpgradeHandler = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;

interface Refusal {
  status: number;
  reason: string;
}

function pathOf(req: http.IncomingMessage): string {
  const pathname = new URL(req.url ?? '/', 'https://hub.invalid').pathname;
  try {
    return decodeURIComponent(pathname);
  } catch {
    return pathname;
  }
}

/** What the hub refuses before `ws` looks at the handshake: the path, the method, the subprotocol. */
export function upgradeRefusal(method: string | undefined, path: string, offered: string[]): Refusal | undefined {
  if (path !== WS_PATH)
    return { status: 404, reason: `no WebSocket endpoint at ${path}: IoT Hub and DPS accept WebSockets on ${WS_PATH}` };
  if (method !== 'GET') return { status: 405, reason: `WebSocket upgrade with ${method}, expected GET` };
  if (pickSubprotocol(offered)) return undefined;
  const expected = Object.keys(WS_SUBPROTOCOLS).join(' or ');
  const asked = offered.length > 0 ? `subprotocol ${offered.join(', ')}` : 'no subprotocol';
  return { status: 400, reason: `WebSocket upgrade asked for ${asked}; expected Sec-WebSocket-Protocol ${expected}` };
}

function refuse(ctx: SessionContext, req: http.IncomingMessage, socket: Duplex, r: Refusal): void {
  const body = `${r.reason}\n`;
  const head = [
    `HTTP/1.1 ${r.status} ${http.STATUS_CODES[r.status] ?? ''}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  if (socket.writable) socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  else socket.destroy();
  publishSession(ctx, 'https', {
    action: 'ws-upgrade',
    ok: false,
    status: r.status,
    reason: `WebSocket upgrade refused: ${r.reason}`,
    detail: { path: req.url, subprotocols: offeredSubprotocols(req.headers['sec-websocket-protocol']) },
  });
}

function makeServer(ctx: SessionContext): WebSocketServer {
  const wss = new WebSocketServer({
    noServer: true,
    clientTracking: false,
    maxPayload: WS_MAX_PAYLOAD,
    handleProtocols: (offered) => pickSubprotocol(offered) ?? false,
  });
  // A handshake ws finds invalid (key, version, Upgrade header): answered here so it has its event.
  wss.on('wsClientError', (e: Error, socket: Duplex, req: http.IncomingMessage) =>
    refuse(ctx, req, socket, { status: 400, reason: `invalid WebSocket handshake: ${e.message}` }),
  );
  return wss;
}

function opened(ctx: SessionContext, dps: DpsSettings, req: http.IncomingMessage, ws: WebSocket): void {
  const entry: WsSubprotocol = WS_SUBPROTOCOLS[ws.protocol]!;
  publishSession(ctx, entry.protocol, {
    action: 'ws-upgrade',
    ok: true,
    status: 101,
    reason: `WebSocket opened on ${req.url} with subprotocol ${ws.protocol}`,
    detail: { path: req.url, subprotocol: ws.protocol },
  });
  ws.on('error', (e: Error & { code?: string }) => {
    const code = CLOSE_CODES[e.code ?? ''] ?? 1002;
    publishSession(ctx, entry.protocol, {
      action: 'ws-close',
      ok: false,
      status: code,
      reason: `WebSocket closed with ${code}: ${e.message}`,
      detail: { wsError: e.code },
    });
  });
  const stream = createWebSocketStream(ws);
  // ws reported the error above and closes the WebSocket; the stream's copy of it has nowhere to go.
  stream.on('error', () => {});
  try {
    entry.serve(ctx, stream, dps);
  } catch (e) {
    // A responder's bug ends this WebSocket (1011, internal error), never the process.
    ws.close(1011);
    const reason = `WebSocket closed with 1011: ${ws.protocol} responder failed: ${(e as Error).message}`;
    publishSession(ctx, entry.protocol, { action: 'ws-close', ok: false, status: 1011, reason });
  }
}

/** The `upgrade` listener of one HTTPS connection's http server. */
export function websocketUpgrades(ctx: SessionContext, dps: DpsSettings): UpgradeHandler {
  let wss: WebSocketServer | undefined;
  return (req, socket, head) => {
    const refused = upgradeRefusal(req.method, pathOf(req), offeredSubprotocols(req.headers['sec-websocket-protocol']));
    if (refused) return refuse(ctx, req, socket, refused);
    wss ??= makeServer(ctx);
    wss.handleUpgrade(req, socket, head, (ws) => opened(ctx, dps, req, ws));
  };
}
