/**
 * The dashboard: one HTML page with its CSS and script inlined at first request, so the page is a
 * single authorised response (a browser cannot add the bearer header to sub-resources).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../context.js';
import { Ok } from '../schemas.js';

/**
 * The assets folder, found by walking up from this module: next to it under tsx (src/admin/) and in
 * the bundle (dist/bundle/dashboard, copied by scripts/bundle.mjs), or <repo>/src/admin/dashboard
 * from the plain tsc output (dist/src/…).
 */
function assetsDir(): string {
  const tried: string[] = [];
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    for (const candidate of [path.join(dir, 'dashboard'), path.join(dir, 'src', 'admin', 'dashboard')]) {
      if (existsSync(path.join(candidate, 'index.html'))) return `${candidate}${path.sep}`;
      tried.push(candidate);
    }
    if (dir === path.dirname(dir))
      throw new Error(`dashboard assets not found (looked in ${tried.slice(0, 6).join(', ')}, …)`);
  }
}

let page: string | undefined;

export function dashboardPage(): string {
  if (!page) {
    const dir = assetsDir();
    const read = (f: string) => readFileSync(`${dir}${f}`, 'utf8');
    // Replacer functions: the assets may contain "$&"-like sequences that a replacement string would expand.
    page = read('index.html')
      .replace('/*STYLE*/', () => read('style.css'))
      .replace('/*SCRIPT*/', () => read('app.js'));
  }
  return page;
}

export const dashboardRoutes: RouteModule = (app) => {
  app.get(
    '/dashboard',
    {
      schema: {
        summary: 'the live dashboard (open the URL printed at start: /dashboard?token=…)',
        tags: ['dashboard'],
        produces: ['text/html'],
        response: Ok(Type.String()),
      },
    },
    async (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(dashboardPage()),
  );
  app.get('/', { schema: { hide: true } }, async (req, reply) => reply.redirect(`/dashboard${req.url.slice(1)}`));
};
