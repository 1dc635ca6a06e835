/**
 * Connections the hub itself is closing (SIGTERM shutdown, a timeline or admin drop): a close the
 * hub started is never the peer's verdict on it, so after-TLS modes that judge how a peer left
 * (src/after/silent-close.ts) ask here first. Keyed by the raw TCP socket; forgotten with it.
 */
const closing = new WeakSet<object>();

/** The hub is about to end or destroy the connection on this raw socket. */
export function markClosedByHub(socket: object): void {
  closing.add(socket);
}

/** Whether the hub, not the peer, started closing the connection on this raw socket. */
export function closedByHub(socket: object): boolean {
  return closing.has(socket);
}
