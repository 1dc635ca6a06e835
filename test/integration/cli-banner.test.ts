/**
 * The ready banner names each endpoint by the scheme a client dials, from its after-TLS mode: it
 * printed mqtts:// for every endpoint, an https one included.
 */
import t from 'tap';
import { once } from 'node:events';
import { runCli } from '../helpers/cli.js';
import { scenarioFile } from '../helpers/hub.js';

const endpoint = (name: string, host: string, after: string, isDefault = false) => ({
  name,
  kind: 'iothub',
  hostnames: [host],
  ...(isDefault ? { default: true } : {}),
  profile: 'iothub-2025',
  chain: 'g2',
  after,
});

t.test('banner: mqtt → mqtts://, https → https://, other modes → tls://', async (t) => {
  const file = scenarioFile({
    name: 'schemes',
    endpoints: [
      endpoint('mq', 'mq.azure-devices.net', 'mqtt', true),
      endpoint('web', 'web.azure-devices.net', 'https'),
      endpoint('held', 'held.azure-devices.net', 'hold'),
      endpoint('shut', 'shut.azure-devices.net', 'close'),
    ],
  });
  const hub = await runCli(['--no-admin', file]);
  t.teardown(() => void hub.child.kill('SIGKILL'));
  const line = (name: string) =>
    hub
      .stderr()
      .split('\n')
      .find((l) => new RegExp(`^hubtls iothub ${name} `).test(l));
  t.match(line('mq'), ` mqtts://127.0.0.1:${hub.port} `);
  t.match(line('web'), ` https://127.0.0.1:${hub.port} `);
  t.match(line('held'), ` tls://127.0.0.1:${hub.port} `);
  t.match(line('shut'), ` tls://127.0.0.1:${hub.port} `);
  hub.child.kill('SIGINT');
  await once(hub.child, 'close');
});
