import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A server that agrees to max_fragment_length and then forgets it: records the device cannot hold. */
export const oversizeRecords = defineFault({
  name: 'oversize-records',
  summary: 'after the ServerHello, send records of N bytes whatever max_fragment_length was agreed (mini engine)',
  params: Type.Object(
    {
      size: Type.Integer({
        minimum: 1,
        maximum: 16384,
        default: 16384,
        description: 'plaintext bytes per record (≤ 16384 stays legal TLS)',
      }),
    },
    { additionalProperties: false },
  ),
  explain: (p) =>
    `after the ServerHello the server sends records of up to ${p.size} bytes even when the device asked for smaller ones (max_fragment_length): a device that enforces the agreed length answers record_overflow; a small-buffer device overflows`,
  create: (p) => ({
    records: { faults: { oversize: p.size }, detail: `sent records of up to ${p.size} bytes after the ServerHello` },
  }),
});
