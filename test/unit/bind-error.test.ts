/** A failed bind names the address and what to do: below 1024, the three ways to get 443 without root. */
import t from 'tap';
import { bindError } from '../../src/serve/listener.js';

const err = (code: string) => Object.assign(new Error(code), { code });

t.test('EACCES on 443 names setcap, the sysctl and a port mapping', async (t) => {
  const e = bindError(err('EACCES'), { host: '127.0.0.1', port: 443 });
  t.equal(e.code, 'HUBTLS_PORT_DENIED');
  t.match(e.message, /not allowed to listen on 127\.0\.0\.1:443/);
  t.match(e.hint, /setcap cap_net_bind_service=\+ep/);
  t.match(e.hint, /ip_unprivileged_port_start to 443/);
  t.match(e.hint, /map 443 to it/);
});

t.test('the other causes keep their own advice', async (t) => {
  t.equal(bindError(err('EADDRINUSE'), { host: '127.0.0.1', port: 8883 }).code, 'HUBTLS_PORT_IN_USE');
  t.match(bindError(err('EACCES'), { host: '127.0.0.1', port: 8883 }).hint, /--port N/);
  t.equal(bindError(err('EADDRNOTAVAIL'), { host: '10.9.9.9', port: 8883 }).code, 'HUBTLS_ADDRESS_UNAVAILABLE');
});
