/** An admin app (the real plugin) over a real test hub, for inject tests and real-socket SSE/browser tests. */
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import type { Test } from 'tap';
import { adminPlugin } from '../../src/admin/app.js';
import { startTestHub, type TestHub } from './hub.js';

export const TOKEN = 'test-token-0123456789';

export interface AdminUnderTest {
  th: TestHub;
  app: FastifyInstance;
  /** inject with the bearer token */
  call(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, body?: unknown): Promise<LightMyRequestResponse>;
}

export async function startAdminUnderTest(
  t: Test,
  scenario: string | object = 'scenarios/default.yaml',
): Promise<AdminUnderTest> {
  const th = await startTestHub(t, scenario);
  const app = Fastify({ logger: false });
  await app.register(adminPlugin, {
    runtime: th.hub.runtime,
    token: TOKEN,
    processMetrics: false,
    hooks: { listenOf: (name) => ({ host: '127.0.0.1', port: th.hub.port(name) }) },
  });
  await app.ready();
  t.teardown(() => app.close());
  const call: AdminUnderTest['call'] = (method, url, body) => {
    const o: InjectOptions = { method, url, headers: { authorization: `Bearer ${TOKEN}` } };
    if (body !== undefined) o.payload = body as InjectOptions['payload'];
    return app.inject(o);
  };
  return { th, app, call };
}
