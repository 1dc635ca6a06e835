import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A middlebox or stack that fragments the handshake into tiny records: legal, and rarely tested. */
export const tinyRecords = defineFault({
  name: 'tiny-records',
  summary: "cut the server's handshake messages into records of N bytes (mini engine)",
  params: Type.Object(
    {
      size: Type.Integer({
        minimum: 1,
        maximum: 16384,
        default: 1,
        description: 'plaintext bytes per handshake record (1 = one byte each)',
      }),
    },
    { additionalProperties: false },
  ),
  explain: (p) =>
    `the server's handshake arrives in records of ${p.size} byte${p.size === 1 ? '' : 's'}: legal TLS that a device must reassemble; one that expects whole messages per record fails`,
  create: (p) => ({
    records: { faults: { tinyHandshake: p.size }, detail: `sent the handshake in ${p.size}-byte records` },
  }),
});
