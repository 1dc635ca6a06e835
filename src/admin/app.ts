/**
 * The admin plane as a fastify plugin. /healthz is open; every other route needs the bearer token
 * (header, or ?token= for the browser). Errors use one shape: { error: { code: 'HUBTLS_…', message, hint? } }.
 * The OpenAPI document is served at /docs/json.
 */
import type { FastifyInstance, FastifyPluginAsync, FastifySchemaValidationError } from 'fastify';
import swagger from '@fastify/swagger';
import { Ajv } from 'ajv';
import SerializerSelector from '@fastify/fast-json-stringify-compiler';
import addFormatsModule from 'ajv-formats';
import { FastifySSEPlugin } from 'fastify-sse-v2';
import type { RuntimeParts } from '../runtime/index.js';
import { HandshakeRing } from '../events/ring.js';
import { HubMetrics } from '../events/metrics.js';
import { requestAuthorized } from './token.js';
import { ErrorBody, installErrorHandling, sendError } from './errors.js';
import { stateOf } from './state.js';
import type { AdminContext, AdminHooks } from './context.js';
import { stateRoutes } from './routes/state.js';
import { timelineRoutes } from './routes/timeline.js';
import { controlRoutes } from './routes/control.js';
import { certRoutes } from './routes/certs.js';
import { liveRoutes } from './routes/live.js';
import { dashboardRoutes } from './routes/dashboard.js';
import { deviceRoutes } from './routes/devices.js';

export interface AdminOptions {
  runtime: RuntimeParts;
  token: string;
  hooks?: AdminHooks;
  /** Include Node process metrics (CPU, memory, event loop) in /metrics. Default true. */
  processMetrics?: boolean;
}

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * Fastify's default ajv silently strips unknown fields and coerces types; a typo in a control call
 * must be a 400 instead. Query strings and path parameters are text by nature, so they may be
 * coerced (`?limit=5`); JSON bodies are taken as sent: `{"chain":["g2"]}` is not the string "g2".
 */
function strictValidator(app: FastifyInstance): void {
  const make = (coerceTypes: 'array' | false) =>
    addFormats(new Ajv({ useDefaults: true, coerceTypes, strict: false, code: { optimize: false } }));
  const text = make('array');
  const json = make(false);
  app.setValidatorCompiler(({ schema, httpPart }) =>
    lazyValidator(() => (httpPart === 'body' ? json : text).compile(schema)),
  );
}

/** Response serializers, like validators, are built on first use rather than all at start (~75 ms). */
function lazySerializers(app: FastifyInstance): void {
  const build = SerializerSelector();
  app.setSerializerCompiler((route) => {
    let stringify: ((data: unknown) => string) | undefined;
    return (data) =>
      (stringify ??= build(app.getSchemas(), {})({ ...route, httpStatus: route.httpStatus ?? '200' }) as (
        d: unknown,
      ) => string)(data);
  });
}

type Validate = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/**
 * Compiles a route's validator on its first request: compiling all of them up front cost ~100 ms
 * of hubtls's start-up for routes most runs never call. Fastify reads `.errors` after a failed call.
 */
function lazyValidator(compile: () => Validate): Validate {
  let compiled: Validate | undefined;
  const validate: Validate = (data) => {
    compiled ??= compile();
    const ok = compiled(data);
    validate.errors = compiled.errors as FastifySchemaValidationError[] | null | undefined;
    return ok;
  };
  return validate;
}

const OPENAPI = {
  openapi: {
    info: {
      title: 'hubtls admin API',
      version: '1',
      description: 'Control and observe a running hubtls scenario. Errors: { error: { code, message, hint } }.',
    },
    components: {
      securitySchemes: {
        bearer: { type: 'http' as const, scheme: 'bearer', description: 'printed at start, or HUBTLS_ADMIN_TOKEN' },
      },
    },
    security: [{ bearer: [] }],
  },
};

function context(app: FastifyInstance, o: AdminOptions): AdminContext {
  const rt = o.runtime;
  const ring = new HandshakeRing(rt.bus);
  const metrics = new HubMetrics(
    rt.bus,
    {
      openConnections: () => Object.fromEntries(rt.endpoints.list().map((e) => [e.name, rt.connections.open(e.name)])),
    },
    { processMetrics: o.processMetrics ?? true },
  );
  app.addHook('onClose', async () => (ring.close(), metrics.close()));
  const hooks = o.hooks ?? {};
  const listenOf = (n: string) =>
    hooks.listenOf?.(n) ?? { host: rt.endpoints.get(n).host, port: rt.endpoints.get(n).port };
  return {
    runtime: rt,
    ring,
    metrics,
    hooks,
    state: () => stateOf(rt, { listenOf, handshakesTotal: () => ring.total }),
  };
}

function secured(app: FastifyInstance, ctx: AdminContext, token: string): void {
  app.addHook('onRequest', async (req, reply) => {
    if (requestAuthorized(req.headers.authorization, req.query, token)) return;
    await sendError(reply, 401, {
      code: 'HUBTLS_ADMIN_UNAUTHORIZED',
      message: 'missing or wrong bearer token',
      hint: 'send "Authorization: Bearer TOKEN" (printed at start, or set HUBTLS_ADMIN_TOKEN); the dashboard URL carries it as ?token=',
    });
  });
  const routeModules = [
    stateRoutes,
    timelineRoutes,
    controlRoutes,
    certRoutes,
    liveRoutes,
    dashboardRoutes,
    deviceRoutes,
  ];
  for (const routes of routeModules) routes(app, ctx);
  app.get('/docs/json', { schema: { summary: 'this OpenAPI document', tags: ['docs'] } }, async () => app.swagger());
}

export const adminPlugin: FastifyPluginAsync<AdminOptions> = async (app, opts) => {
  app.addSchema(ErrorBody);
  installErrorHandling(app);
  strictValidator(app);
  lazySerializers(app);
  // Certificates and JSON are never to be sniffed into something a browser would render or run.
  app.addHook('onSend', async (_req, reply) => void reply.header('x-content-type-options', 'nosniff'));
  await app.register(swagger, OPENAPI);
  await app.register(FastifySSEPlugin, { retryDelay: 2000 });
  const ctx = context(app, opts);
  app.get(
    '/healthz',
    { schema: { summary: 'liveness (no token needed)', tags: ['health'], security: [] } },
    async () => ({ ok: true }),
  );
  await app.register(async (inner) => secured(inner, ctx, opts.token));
};
