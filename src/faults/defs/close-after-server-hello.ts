import { Type } from '@sinclair/typebox';
import { defineFault } from '../types.js';
import { ContentType, HandshakeType } from '../../tls/wire/constants.js';
import { RecordBuffer, frameRecord, handshakeMessages } from '../../tls/wire/records.js';

/** A gateway that dies mid-handshake: the ServerHello gets out, then the connection closes. */
export const closeAfterServerHello = defineFault({
  name: 'close-after-server-hello',
  summary: 'send the ServerHello, then close the TCP connection (FIN) before the Certificate',
  params: Type.Object({}, { additionalProperties: false }),
  explain: () =>
    'the device receives the ServerHello and then the connection closes without an alert (unexpected EOF in the handshake)',
  create: (_p, ctx) => {
    const records = new RecordBuffer();
    return {
      async serverToClient(chunk, out) {
        for (const r of records.push(chunk)) {
          const hello =
            r.type === ContentType.handshake
              ? handshakeMessages(r).find((m) => m.type === HandshakeType.serverHello)
              : undefined;
          if (!hello) {
            await out.push(r.raw);
            continue;
          }
          // The ServerHello alone, in its own record: later messages of the same record are cut.
          await out.push(frameRecord(ContentType.handshake, r.version, hello.raw));
          ctx.act('closed the connection right after the ServerHello');
          out.end();
          return;
        }
      },
    };
  },
});
