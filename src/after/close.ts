import { defineAfterMode, NO_OPTIONS } from './types.js';

/** Complete the handshake, then close at once with close_notify (a TLS-only probe target). */
export const closeMode = defineAfterMode({
  name: 'close',
  description: 'close the connection with close_notify right after the handshake',
  ...NO_OPTIONS,
  start({ established }) {
    established.stream.end();
  },
});
