#!/usr/bin/env node
// Bundles the CLI into dist/bundle/hubtls.mjs (the `hubtls` bin). Why: Node 20 loads each ES module
// file separately, and hubtls's dependency tree is hundreds of small files (TypeBox alone ~120 ms
// here); one file starts about twice as fast (bench/RESULTS.md, startup). Dynamic imports stay
// separate chunks, so the PKI generator (@peculiar/x509) still loads only when keys are made.
// scripts/test.mjs imports `buildForTests` for the CLI processes the tests start.
import { build } from 'esbuild';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// Bundled CommonJS dependencies expect require/__dirname, which ES modules lack.
const BANNER = [
  "import { createRequire as __hubtlsRequire } from 'node:module';",
  "import { fileURLToPath as __hubtlsPath } from 'node:url';",
  'const require = __hubtlsRequire(import.meta.url);',
  'const __filename = __hubtlsPath(import.meta.url);',
  "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
].join(' ');

const ESM_FOR_NODE = {
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  legalComments: 'none',
  logLevel: 'warning',
  banner: { js: BANNER },
};

/** Writes `outdir` from scratch, with the dashboard's static files beside the entries. */
async function bundle(outdir, options) {
  rmSync(outdir, { recursive: true, force: true });
  await build({ ...ESM_FOR_NODE, ...options, outdir });
  // The dashboard's static files (HTML/CSS/JS, no build step) travel next to the bundle; the admin
  // plane finds them by walking up from its module (src/admin/routes/dashboard.ts).
  cpSync('src/admin/dashboard', `${outdir}/dashboard`, { recursive: true });
}

/** The shipped bin, from tsc's output (dist/src). */
export function bundleForRelease(outdir = 'dist/bundle') {
  return bundle(outdir, {
    // The scenario loader's worker (src/scenario/load-async.ts) is its own entry: a worker starts from a file.
    entryPoints: { hubtls: 'dist/src/cli/main.js', 'load-worker': 'dist/src/scenario/load-worker.js' },
    // Smaller to parse; identifiers stay readable in stack traces.
    minifyWhitespace: true,
    minifySyntax: true,
  });
}

/**
 * The CLI the tests start: src/ compiled file by file into `outdir` (about half a second), with the
 * very transform tsx applies (its esbuild options: whitespace minified, names kept), so a CLI child
 * starts in ~1 s instead of ~2.5 s under tsx (no loader hooks, nothing transpiled at start) and its
 * V8 coverage maps back to src/ exactly as a test process's does: c8 finds the same statements and
 * functions in both and merges them. (A bundle maps functions elsewhere: they would count twice.)
 * Run as `outdir/src/cli/main.js`; dist/test-src/ is not shipped.
 */
export async function buildForTests(outdir) {
  rmSync(outdir, { recursive: true, force: true });
  const sources = readdirSync('src', { recursive: true })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => `src/${f}`);
  await build({
    entryPoints: sources,
    outdir,
    outbase: '.',
    format: 'esm',
    platform: 'node',
    target: `node${process.versions.node}`,
    sourcemap: 'linked',
    minifyWhitespace: true,
    keepNames: true,
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bundleForRelease();
