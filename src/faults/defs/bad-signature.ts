import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';

/** A man in the middle with the wrong key: the key exchange is not signed by the certificate's key. */
export const badSignature = defineFault({
  name: 'bad-signature',
  summary: 'corrupt the ServerKeyExchange signature by one bit (ECDHE suites; mini engine)',
  params: Type.Object({}, { additionalProperties: false }),
  explain: () =>
    "the ServerKeyExchange signature does not verify against the server certificate: a device must refuse (decrypt_error); one that connects does not check the server's key exchange and is INSECURE",
  create: () => ({ records: { faults: { badSignature: true }, detail: 'corrupted the ServerKeyExchange signature' } }),
});
