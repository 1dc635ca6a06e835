/**
 * The dashboard: one HTML page with its CSS and script inlined at first request, so the page is a
 * single authorised response (a browser cannot add the bearer header to sub-resources).
 */
import { createHash } from 'node:crypto';
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

let page: { html: string; csp: string } | undefined;

const hash = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The page's inline scripts (app.js, devices.js) and its one inline style are allowed by their hashes, nothing else runs:
 * a device-controlled string that slipped into the DOM as markup could not execute. Data comes from
 * this origin only (fetch, EventSource), and no other site may frame the page (clickjacking the controls).
 */
function policy(scripts: string[], style: string): string {
  return [
    "default-src 'none'",
    `script-src ${scripts.map(hash).join(' ')}`,
    `style-src ${hash(style)}`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function dashboardPage(): { html: string; csp: string } {
  if (!page) {
    const dir = assetsDir();
    const read = (f: string) => readFileSync(`${dir}${f}`, 'utf8');
    const style = read('style.css');
    const script = read('app.js');
    const devices = read('devices.js');
    // Replacer functions: the assets may contain "$&"-like sequences that a replacement string would expand.
    const html = read('index.html')
      .replace('/*STYLE*/', () => style)
      .replace('/*SCRIPT*/', () => script)
      .replace('/*DEVICES*/', () => devices);
    page = { html, csp: policy([script, devices], style) };
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
    async (_req, reply) => {
      const { html, csp } = dashboardPage();
      return reply
        .type('text/html; charset=utf-8')
        .headers({
          'cache-control': 'no-store',
          'content-security-policy': csp,
          'x-content-type-options': 'nosniff',
          'x-frame-options': 'DENY',
          'referrer-policy': 'no-referrer',
        })
        .send(html);
    },
  );
  app.get('/', { schema: { hide: true } }, async (req, reply) => reply.redirect(`/dashboard${req.url.slice(1)}`));
};
