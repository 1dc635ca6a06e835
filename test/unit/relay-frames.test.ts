/** The relay's framing (serve/relay/frames.ts), sans-IO: what the worker writes, the primary reads, whatever the chunking. */
import t from 'tap';
import { FRAME, FrameReader, MAX_FRAME, frame, jsonFrame } from '../../src/serve/relay/frames.js';

t.test('frames survive any chunking', async (t) => {
  const wire = Buffer.concat([
    jsonFrame(FRAME.hello, { conn: 1001, endpoint: 'hub' }),
    frame(FRAME.data, Buffer.from('CONNECT')),
    frame(FRAME.end),
    jsonFrame(FRAME.fin, { bytesRead: 512, closedByHub: false }),
  ]);
  for (const size of [1, 2, 5, 7, wire.length]) {
    const reader = new FrameReader();
    const got = [];
    for (let i = 0; i < wire.length; i += size) got.push(...reader.push(wire.subarray(i, i + size)));
    t.same(
      got.map((f) => [f.type, f.payload.toString()]),
      [
        [FRAME.hello, '{"conn":1001,"endpoint":"hub"}'],
        [FRAME.data, 'CONNECT'],
        [FRAME.end, ''],
        [FRAME.fin, '{"bytesRead":512,"closedByHub":false}'],
      ],
      `chunks of ${size} byte(s)`,
    );
  }
});

t.test('a broken relay is refused, not buffered', async (t) => {
  t.throws(() => new FrameReader().push(Buffer.from([99, 0, 0, 0, 0])), /unknown frame type 99/);
  const big = Buffer.alloc(5);
  big[0] = FRAME.data;
  big.writeUInt32BE(MAX_FRAME + 1, 1);
  t.throws(() => new FrameReader().push(big), /frame of \d+ bytes \(limit/);
  t.same(new FrameReader().push(frame(FRAME.data).subarray(0, 3)), [], 'a partial header waits for more');
});
