/** What the WebSocket upgrade accepts, without sockets: path, method, subprotocol choice and the words of a refusal. */
import t from 'tap';
import { upgradeRefusal, WS_PATH } from '../../src/after/websocket/upgrade.js';
import { offeredSubprotocols, pickSubprotocol, WS_SUBPROTOCOLS } from '../../src/after/websocket/subprotocols.js';

t.test('Sec-WebSocket-Protocol is read as a list; the first one served wins', async (t) => {
  t.same(offeredSubprotocols(' foo ,mqtt,  AMQPWSB10'), ['foo', 'mqtt', 'AMQPWSB10']);
  t.same(offeredSubprotocols(undefined), []);
  t.same(offeredSubprotocols(' , '), []);
  t.equal(pickSubprotocol(['foo', 'mqtt']), 'mqtt');
  t.equal(pickSubprotocol(['MQTT']), undefined, 'subprotocol names are case-sensitive (RFC 6455)');
  t.equal(pickSubprotocol(['toString', '__proto__']), undefined, 'no inherited names');
  t.equal(WS_SUBPROTOCOLS.mqtt?.protocol, 'mqtt-ws');
});

t.test('refusals name what was expected', async (t) => {
  t.equal(upgradeRefusal('GET', WS_PATH, ['mqtt']), undefined);
  t.match(upgradeRefusal('GET', '/mqtt', ['mqtt']), {
    status: 404,
    reason: /accept WebSockets on \/\$iothub\/websocket/,
  });
  t.match(upgradeRefusal('POST', WS_PATH, ['mqtt']), { status: 405, reason: /expected GET/ });
  t.match(upgradeRefusal('GET', WS_PATH, ['stomp', 'wamp']), {
    status: 400,
    reason: /asked for subprotocol stomp, wamp; expected Sec-WebSocket-Protocol mqtt/,
  });
  t.match(upgradeRefusal('GET', WS_PATH, []), { status: 400, reason: /asked for no subprotocol/ });
});
