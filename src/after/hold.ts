import { defineAfterMode, NO_OPTIONS } from './types.js';

/** Keep the connection open and read (and drop) what the client sends, until it closes. */
export const holdMode = defineAfterMode({
  name: 'hold',
  description: 'keep the TLS connection open and discard application data until the client closes',
  ...NO_OPTIONS,
  start({ established }) {
    established.stream.on('data', () => {});
  },
});
