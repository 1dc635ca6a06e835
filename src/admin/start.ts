/**
 * Starts the admin plane (fastify, loaded only now: devices can connect while it loads) on the
 * runtime parts, and warns when it listens beyond loopback.
 */
import type { FastifyInstance } from 'fastify';
import { HubtlsError } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { RuntimeParts } from '../runtime/index.js';
import type { AdminHooks } from './context.js';
import { adminToken } from './token.js';
import { isLoopback } from '../util/loopback.js';

export interface AdminRoute {
  method: string;
  url: string;
}

export type Admin = Awaited<ReturnType<typeof startAdmin>>;

export async function startAdmin(
  runtime: RuntimeParts,
  cfg: { host: string; port: number },
  token: string,
  hooks: AdminHooks,
) {
  // Loaded here, after the TLS listeners are bound: devices can connect while fastify loads.
  const [{ default: Fastify }, { adminPlugin }] = await Promise.all([import('fastify'), import('./app.js')]);
  const app: FastifyInstance = Fastify({ logger: false });
  const routes: AdminRoute[] = [];
  app.addHook('onRoute', (r) => void [r.method].flat().forEach((method) => routes.push({ method, url: r.url })));
  await app.register(adminPlugin, { runtime, token, hooks });
  try {
    await app.listen({ host: cfg.host, port: cfg.port });
  } catch (e) {
    await app.close();
    throw new HubtlsError(
      'HUBTLS_ADMIN_PORT',
      `cannot start the admin API on ${cfg.host}:${cfg.port}: ${(e as Error).message}`,
      'pick another port with --admin-port N (0 = any free port) or --no-admin',
    );
  }
  const a = app.server.address() as { port: number };
  const host = cfg.host.includes(':') ? `[${cfg.host}]` : cfg.host;
  return { app, url: `http://${host}:${a.port}`, token, routes };
}

/** Asked for explicitly (--admin-host or admin.host), but never silently: the admin API changes the hub. */
export function warnAdminExposed(bus: EventBus, host: string, url: string): void {
  const msg = `the admin API listens on ${host}, beyond loopback (${url}): anyone who reaches this address with the token can change the hub and download certificates`;
  bus.publish({ type: 'notice', level: 'warn', what: 'admin-exposed', msg, host });
}

/**
 * The scenario's admin plane, when it has one: started with the given token (else a generated one),
 * and an `admin-exposed` warning when it listens beyond loopback.
 */
export async function startScenarioAdmin(
  runtime: RuntimeParts,
  cfg: { enabled: boolean; host: string; port: number },
  token: string | undefined,
  hooks: AdminHooks,
): Promise<Admin | undefined> {
  if (!cfg.enabled) return undefined;
  const admin = await startAdmin(runtime, cfg, token ?? adminToken(), hooks);
  if (!isLoopback(cfg.host)) warnAdminExposed(runtime.bus, cfg.host, admin.url);
  return admin;
}
