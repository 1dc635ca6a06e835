/** In-band fault definitions without a socket: parsing, what each type does to a target, refusal windows. */
import t from 'tap';
import {
  INBAND_FAULTS,
  parseInbandFault,
  refusal,
  type InbandFault,
  type InbandRefusal,
  type InbandTarget,
} from '../../src/after/inband-faults.js';

function fakeTarget(protocol: 'mqtt' | 'https' = 'mqtt') {
  const did: string[] = [];
  const target: InbandTarget = {
    protocol,
    kill: () => did.push('kill'),
    ...(protocol === 'mqtt'
      ? { shutdown: () => did.push('shutdown'), refuseNow: (r: InbandRefusal) => did.push(`refuse ${r.type}`) }
      : {}),
  };
  return { target, did };
}

const fault = (type: string, durationSeconds = 5): InbandFault => ({
  type,
  closeReason: 'boom',
  delaySeconds: 0,
  durationSeconds,
});

t.test(
  'parse: property names match case-insensitively (HTTP headers arrive lower-cased); bad numbers → 0',
  async (t) => {
    t.equal(parseInbandFault({ temperature: '20' }), undefined);
    t.same(
      parseInbandFault({
        aziothub_faultoperationtype: 'KillTcp',
        aziothub_faultoperationclosereason: 'boom',
        aziothub_faultoperationdelayinsecs: '2',
        aziothub_faultoperationdurationinsecs: 'soon',
      }),
      { type: 'KillTcp', closeReason: 'boom', delaySeconds: 2, durationSeconds: 0 },
    );
  },
);

t.test('KillTcp and ShutDownMqtt act on the target; ShutDownMqtt does not apply over HTTPS', async (t) => {
  const open = () => t.fail('no window') as never;
  const mqtt = fakeTarget();
  t.match(INBAND_FAULTS.KillTcp!.act(fault('KillTcp'), mqtt.target, open), /reset the TCP connection \(boom\)/);
  t.match(INBAND_FAULTS.ShutDownMqtt!.act(fault('ShutDownMqtt'), mqtt.target, open), /closed the MQTT connection/);
  t.same(mqtt.did, ['kill', 'shutdown']);
  const https = fakeTarget('https');
  t.equal(INBAND_FAULTS.ShutDownMqtt!.act(fault('ShutDownMqtt'), https.target, open), undefined);
  t.same(https.did, []);
});

t.test('refusal windows: each type answers with its status, error code and CONNACK', async (t) => {
  const cases: Array<[string, number, number, number]> = [
    ['InvokeThrottling', 429, 429001, 3],
    ['InvokeMaxMessageQuota', 403, 403002, 3],
    ['InvokeAuthError', 401, 401003, 5],
  ];
  for (const [type, status, errorCode, connack] of cases) {
    const { target, did } = fakeTarget();
    let opened: InbandRefusal | undefined;
    const open = (r: Omit<InbandRefusal, 'until'>) => (opened = { ...r, until: Date.now() + 5000 });
    INBAND_FAULTS[type]!.act(fault(type), target, open);
    t.same([opened?.http.status, opened?.http.errorCode, opened?.connack], [status, errorCode, connack], type);
    t.same(did, [`refuse ${type}`], `${type}: the MQTT connection is ended now`);
  }
});

t.test('refusal(): nothing in force for a hub without windows', async (t) => {
  t.equal(refusal({} as never, 'd'), undefined);
});
