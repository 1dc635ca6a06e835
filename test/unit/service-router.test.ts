/**
 * The service API's routing and rendering without a socket: which paths are the service's (the
 * device API keeps `/devices/{id}/messages/…`), and IoT Hub's error body, which the SDKs parse by
 * splitting Message on ';'.
 */
import t from 'tap';
import { isServiceRequest } from '../../src/after/service/router.js';
import { errorBody } from '../../src/after/service/errors.js';

t.test('service paths and device paths', async (t) => {
  const split = (p: string) => p.split('/').filter((s) => s);
  for (const p of ['/devices', '/devices/d1', '/devices/d1/modules/m1', '/twins/d1', '/twins/d1/methods'])
    t.ok(isServiceRequest(split(p)), `${p} is the service API`);
  for (const p of [
    '/devices/d1/messages/events',
    '/devices/d1/messages/devicebound',
    '/devices/d1/modules/m1/messages/events',
    '/0ne000/registrations/r',
  ])
    t.notOk(isServiceRequest(split(p)), `${p} is not`);
});

t.test('error body: ErrorCode, a message without ;, a tracking id and timestamp', async (t) => {
  const b = errorBody({ code: 'DeviceNotFound', message: 'a; b' }, new Date('2026-03-01T09:08:07Z'));
  t.equal(b.Message, 'ErrorCode:DeviceNotFound;a, b');
  t.match(b.ExceptionMessage, /^Tracking ID:[0-9a-f]{32}-G:0-TimeStamp:03\/01\/2026 09:08:07$/);
  // What azure-iot-http-base's Http.parseErrorBody does with it:
  const [code, message] = [b.Message.split(';')[0]!.split(':')[1], b.Message.split(';')[1]];
  t.same([code, message], ['DeviceNotFound', 'a, b']);
});
