// Import boundaries and cycles for src/ (issue 12): a module imports only from its own layer or a lower one,
// and there are no import cycles, type-only imports included. Tests and benchmarks may import anything.
// Run: npm run lint:deps. Each upward import is reported under a rule named after both layers, e.g.
//   error upward-tls-to-serve: src/tls/bad.ts → src/serve/flow.ts
const fs = require('node:fs');
const path = require('node:path');

// Lowest first. `dir` is a folder under src/ or a single file; a new folder under src/ must be added here
// (the rule `not-in-a-layer` fails until it is), so that nothing escapes the boundary check.
const LAYERS = [
  { name: 'util', paths: ['src/util/', 'src/errors.ts'] },
  { name: 'profiles', paths: ['src/profiles/'] },
  { name: 'events', paths: ['src/events/'] },
  { name: 'pki', paths: ['src/pki/'] },
  { name: 'tls', paths: ['src/tls/'] },
  { name: 'core', paths: ['src/core/'] },
  { name: 'faults', paths: ['src/faults/'] },
  { name: 'after', paths: ['src/after/'] },
  { name: 'scenario', paths: ['src/scenario/'] },
  { name: 'runtime', paths: ['src/runtime/'] },
  { name: 'serve', paths: ['src/serve/'] },
  { name: 'admin', paths: ['src/admin/'] },
  // `--workers N`: the primary (runtime, admin, the relayed sessions) and the workers (listeners).
  { name: 'cluster', paths: ['src/cluster/'] },
  { name: 'hub', paths: ['src/hub.ts'] },
  // Above the hub: `hubtls test` and the device runner start hubs of their own.
  { name: 'report', paths: ['src/report/'] },
  // The qualification suite sits beside report: it runs hubs and devices through report's runner.
  { name: 'qualify', paths: ['src/qualify/'] },
  { name: 'cli', paths: ['src/cli/'] },
];

const escapeRegExp = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pattern = (layer) => `^(${layer.paths.map((p) => escapeRegExp(p) + (p.endsWith('/') ? '' : '$')).join('|')})`;

/** One rule per (lower, higher) pair, so the rule name alone says which layer reached up to which. */
function upwardRules() {
  const rules = [];
  LAYERS.forEach((from, i) => {
    for (const to of LAYERS.slice(i + 1)) {
      rules.push({
        name: `upward-${from.name}-to-${to.name}`,
        comment: `${from.name} (layer ${i + 1}) must not import ${to.name}, a layer above it; move the shared code down`,
        severity: 'error',
        from: { path: pattern(from) },
        to: { path: pattern(to) },
      });
    }
  });
  return rules;
}

const anyLayer = LAYERS.map((l) => pattern(l)).join('|');
// The repository's tsconfig when there is one (the lint fixtures under test/ have none of their own).
const tsConfig = path.join(__dirname, 'tsconfig.json');

module.exports = {
  forbidden: [
    ...upwardRules(),
    {
      name: 'no-cycle',
      comment: 'import cycles (type-only imports count) tie layers together; the issue requires none',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'not-in-a-layer',
      comment: 'every file under src/ belongs to a layer; add its folder to LAYERS in .dependency-cruiser.cjs',
      severity: 'error',
      from: { path: '^src/', pathNot: anyLayer },
      to: {},
    },
    {
      name: 'src-imports-tests',
      comment: 'product code must not depend on test helpers, fixtures or benchmarks',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench)/' },
    },
  ],
  options: {
    // Type-only imports are dependencies too: a cycle through `import type` is still a cycle.
    tsPreCompilationDeps: true,
    tsConfig: fs.existsSync(tsConfig) ? { fileName: tsConfig } : undefined,
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    moduleSystems: ['es6', 'cjs'],
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.json'] },
    cache: false,
  },
};
