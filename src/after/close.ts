import type { AfterTlsMode } from './types.js';

/** Complete the handshake, then close at once with close_notify (a TLS-only probe target). */
export const closeMode: AfterTlsMode = {
  name: 'close',
  description: 'close the connection with close_notify right after the handshake',
  start({ established }) {
    established.stream.end();
  },
};
