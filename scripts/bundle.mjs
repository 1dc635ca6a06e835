#!/usr/bin/env node
// Bundles the CLI into dist/bundle/hubtls.mjs (the `hubtls` bin). Why: Node 20 loads each ES module
// file separately, and hubtls's dependency tree is hundreds of small files (TypeBox alone ~120 ms
// here); one file starts about twice as fast (bench/RESULTS.md, startup). Dynamic imports stay
// separate chunks, so the PKI generator (@peculiar/x509) still loads only when keys are made.
import { build } from 'esbuild';
import { cpSync, rmSync } from 'node:fs';

const outdir = 'dist/bundle';
rmSync(outdir, { recursive: true, force: true });
await build({
  // The scenario loader's worker (src/scenario/load-async.ts) is its own entry: a worker starts from a file.
  entryPoints: { hubtls: 'dist/src/cli/main.js', 'load-worker': 'dist/src/scenario/load-worker.js' },
  outdir,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Smaller to parse; identifiers stay readable in stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // Bundled CommonJS dependencies expect require/__dirname, which ES modules lack.
  banner: {
    js: [
      "import { createRequire as __hubtlsRequire } from 'node:module';",
      "import { fileURLToPath as __hubtlsPath } from 'node:url';",
      'const require = __hubtlsRequire(import.meta.url);',
      'const __filename = __hubtlsPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
});

// The dashboard's static files (HTML/CSS/JS, no build step) travel next to the bundle; the admin
// plane finds them by walking up from its module (src/admin/routes/dashboard.ts).
cpSync('src/admin/dashboard', `${outdir}/dashboard`, { recursive: true });
