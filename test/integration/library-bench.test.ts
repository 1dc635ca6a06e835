/**
 * scenarios/bench.yaml: a bench drives a device as the cloud. The real `azure-iothub` service SDK,
 * with the default iothubowner string (the one `hubtls run` prints, keys from the certs folder),
 * talks to the `after: https` endpoint; an MQTT device of the scenario gets the desired patch and
 * answers the method call; a device the bench creates through the API connects too.
 */
import t from 'tap';
import { startTestHub } from '../helpers/hub.js';
import { exportedTrust } from '../helpers/devices.js';
import { serviceSdk } from '../helpers/azure-sdk.js';
import { answerMethod, HUB_HOST, nextMessage, sasMqttDevice } from '../helpers/mqtt-device.js';
import { SHARED_DIR } from '../helpers/pki.js';
import { defaultPolicy } from '../../src/core/policy-keys.js';

t.test('scenarios/bench.yaml: the service SDK reaches an MQTT device through hubtls', async (t) => {
  const [trust, th] = await Promise.all([exportedTrust(), startTestHub(t, 'scenarios/bench.yaml')]);
  const mqttPort = th.hub.port('hub');
  const servicePort = th.hub.port('service');
  t.not(mqttPort, servicePort, 'devices and the service API on two listeners');
  const owner = await defaultPolicy(SHARED_DIR);
  const cs = `HostName=${HUB_HOST};SharedAccessKeyName=${owner.name};SharedAccessKey=${owner.primaryKey}`;
  const { registry, client } = serviceSdk(cs, { ca: trust.g2, port: servicePort });

  const key = (await registry.get('pump-1')).responseBody.authentication!.symmetricKey!.primaryKey!;
  const device = await sasMqttDevice(mqttPort, trust.g2, 'pump-1', key);
  t.teardown(() => device.end(true));
  answerMethod(device, 'reboot');

  const patched = nextMessage(device, /^\$iothub\/twin\/PATCH\/properties\/desired\//);
  await registry.updateTwin('pump-1', { properties: { desired: { interval: 5 } } }, '*');
  t.match(JSON.parse((await patched).body), { interval: 5 }, 'the desired patch reached the device');

  const { result } = await client.invokeDeviceMethod('pump-1', { methodName: 'reboot', payload: { delay: 1 } });
  t.same(result, { status: 200, payload: { reboot: { delay: 1 } } }, "the device's answer");

  const created = await registry.create({ deviceId: 'bench-made' });
  const made = created.responseBody.authentication!.symmetricKey!.primaryKey!;
  const second = await sasMqttDevice(mqttPort, trust.g2, 'bench-made', made);
  t.teardown(() => second.end(true));
  t.ok(second.connected, 'a device created through the API connects over MQTT');
});
