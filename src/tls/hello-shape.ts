/**
 * A ClientHello's shape: every byte that can change what hubtls reads from it (its summary, the
 * policy's decision), none of those that change on every connection. A fleet of devices sends a
 * few shapes; parsing and deciding once per shape (src/tls/hello-cache.ts, policy/decision-cache.ts)
 * instead of once per connection is most of the per-connection JavaScript the inspection costs.
 *
 * Left out: the random, the session id, and the bodies of extensions whose contents the summary
 * does not read and that differ per connection (session ticket, pre-shared key, key shares,
 * padding, cookie); their ids stay, in order. Everything else stays byte for byte, so two hellos
 * with one shape summarise identically except for `bytes` (the record bytes, set per connection).
 */
import { WireReader } from './wire/reader.js';

/** Extensions whose bodies are per connection and unread by the summary: only their presence counts. */
const VOLATILE = new Set([
  21, // padding: its length follows the rest
  35, // session_ticket: the ticket (the summary says only whether it was sent)
  41, // pre_shared_key: identities and binders
  44, // cookie
  51, // key_share: ephemeral public keys
]);

/** The shape key of a ClientHello handshake message, or undefined when it does not frame (the full parse says why). */
export function helloShape(message: Buffer): string | undefined {
  try {
    const r = new WireReader(message);
    r.u8(); // type
    r.u24();
    const version = r.u16();
    r.bytes(32); // random
    r.vec(1); // session id
    const suites = r.vec(2);
    const compression = r.vec(1);
    // Every variable part carries its length, so no two different shapes can spell the same key.
    let key = `${version}|${field(suites)}|${field(compression)}`;
    if (r.left === 0) return key;
    const exts = new WireReader(r.vec(2));
    while (exts.left > 0) {
      const id = exts.u16();
      const body = exts.vec(2);
      key += VOLATILE.has(id) ? `|${id}` : `|${id}:${field(body)}`;
    }
    return r.left === 0 ? key : undefined;
  } catch {
    return undefined;
  }
}

function field(b: Buffer): string {
  return `${b.length}:${b.toString('latin1')}`;
}
