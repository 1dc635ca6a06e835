/** The wire module: record framing and reading that the hello reader, mini engine and faults share. */
import t from 'tap';
import { RecordBuffer, alertRecord, frameRecord, splitFragments } from '../../src/tls/wire/records.js';
import { readHandshakeHeader, readRecordHeader } from '../../src/tls/wire/records.js';
import { ALERT, ContentType, alertName } from '../../src/tls/wire/constants.js';
import { WireDecodeError, WireReader, handshakeMessage } from '../../src/tls/wire/reader.js';

t.test('a record header is readable before its body, and refusable on it', async (t) => {
  const rb = new RecordBuffer();
  rb.append(Buffer.from([22, 3, 3, 0x48, 0x01]));
  t.same(rb.header(), { type: 22, version: 0x0303, length: 0x4801 });
  t.equal(rb.take(), undefined, 'the body has not arrived');
  t.equal(rb.waiting, 5);
});

t.test('records frame and unframe; split writes', async (t) => {
  const hs = frameRecord(ContentType.handshake, 0x0301, Buffer.from('abc'));
  const wire = Buffer.concat([hs, frameRecord(ContentType.alert, 0x0303, Buffer.from([2, 40]))]);
  const rb = new RecordBuffer();
  t.same(rb.push(wire.subarray(0, 7)), []);
  const out = rb.push(wire.subarray(7));
  t.same(
    out.map((r) => [r.type, r.version, r.body.toString('hex')]),
    [
      [22, 0x0301, '616263'],
      [21, 0x0303, '0228'],
    ],
  );
  t.equal(readRecordHeader(wire, 8)?.type, 21);
  t.same(
    splitFragments(Buffer.alloc(5), 2).map((b) => b.length),
    [2, 2, 1],
  );
  t.same(
    splitFragments(Buffer.alloc(0), 2).map((b) => b.length),
    [0],
    'an empty write is one empty record',
  );
});

t.test('alert records cap their version at TLS 1.2 and never go below TLS 1.0', async (t) => {
  t.same([...alertRecord(ALERT.decodeError, 0x0304)], [21, 3, 3, 0, 2, 2, 50]);
  t.same([...alertRecord(ALERT.protocolVersion, 0x0300)], [21, 3, 1, 0, 2, 2, 70]);
  t.equal(alertName(ALERT.recordOverflow), 'record_overflow');
  t.equal(alertName(7), 'alert_7');
});

t.test('handshake messages and the bounds-checked reader', async (t) => {
  const msg = handshakeMessage(2, Buffer.from([1, 2, 3]));
  t.same(readHandshakeHeader(msg), { type: 2, length: 3 });
  t.equal(readHandshakeHeader(msg.subarray(0, 3)), undefined);
  const r = new WireReader(Buffer.from([0, 2, 9]));
  t.throws(() => r.vec(2), WireDecodeError);
  const message = 'truncated field: needs 2 bytes at offset 0, message has 1';
  t.throws(() => new WireReader(Buffer.alloc(1)).u16('field'), { message });
});
