/**
 * The dashboard: one HTML page with its CSS and script inlined at first request, so the page is a
 * single authorised response (a browser cannot add the bearer header to sub-resources).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Type } from '@sinclair/typebox';
import type { RouteModule } from '../context.js';
import { Ok } from '../schemas.js';

/** Next to this module under tsx; from dist/, the source folder the package ships. */
function assetsDir(): string {
  const candidates = ['../dashboard/', '../../../../src/admin/dashboard/'].map((rel) => fileURLToPath(new URL(rel, import.meta.url)));
  const dir = candidates.find((d) => existsSync(`${d}index.html`));
  if (!dir) throw new Error(`dashboard assets not found in ${candidates.join(' or ')}`);
  return dir;
}

let page: string | undefined;

export function dashboardPage(): string {
  if (!page) {
    const dir = assetsDir();
    const read = (f: string) => readFileSync(`${dir}${f}`, 'utf8');
    // Replacer functions: the assets may contain "$&"-like sequences that a replacement string would expand.
    page = read('index.html').replace('/*STYLE*/', () => read('style.css')).replace('/*SCRIPT*/', () => read('app.js'));
  }
  return page;
}

export const dashboardRoutes: RouteModule = (app) => {
  app.get('/dashboard', {
    schema: { summary: 'the live dashboard (open the URL printed at start: /dashboard?token=…)', tags: ['dashboard'], produces: ['text/html'], response: Ok(Type.String()) },
  }, async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(dashboardPage()));
  app.get('/', { schema: { hide: true } }, async (req, reply) => reply.redirect(`/dashboard${req.url.slice(1)}`));
};
