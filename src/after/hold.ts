import type { AfterTlsMode } from './types.js';

/** Keep the connection open and read (and drop) what the client sends, until it closes. */
export const holdMode: AfterTlsMode = {
  name: 'hold',
  description: 'keep the TLS connection open and discard application data until the client closes',
  start({ established }) {
    established.stream.on('data', () => {});
  },
};
