/**
 * The layer rules of .dependency-cruiser.cjs (what `npm run lint:deps` applies to src/) on small fixture trees:
 * an upward import, a type-only cycle and a folder outside every layer must fail, naming the rule and both ends;
 * a tree that only imports downward must pass.
 */
import t from 'tap';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const repo = fileURLToPath(new URL('../../', import.meta.url));
const depcruise = `${repo}node_modules/dependency-cruiser/bin/dependency-cruise.mjs`;
const config = `${repo}.dependency-cruiser.cjs`;

interface Verdict {
  code: number;
  output: string;
}

/** Runs the boundary checker exactly as `npm run lint:deps` does, on test/fixtures/lint/NAME/src. */
async function cruise(fixture: string): Promise<Verdict> {
  const cwd = `${repo}test/fixtures/lint/${fixture}`;
  const args = [depcruise, '--config', config, '--output-type', 'err-long', 'src'];
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, args, { cwd });
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: err.code ?? -1, output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

t.test('an upward import fails, naming both layers and both files', async (t) => {
  const { code, output } = await cruise('upward');
  t.not(code, 0, output);
  t.match(output, 'error upward-tls-to-serve: src/tls/bad.ts → src/serve/flow.ts');
  t.match(output, 'tls (layer 5) must not import serve, a layer above it');
});

t.test('a cycle of type-only imports fails', async (t) => {
  const { code, output } = await cruise('cycle');
  t.not(code, 0, output);
  t.match(output, /error no-cycle: src\/util\/a\.ts →\s+src\/util\/b\.ts →\s+src\/util\/a\.ts/);
});

t.test('a folder in no layer fails, so new code cannot slip past the boundaries', async (t) => {
  const { code, output } = await cruise('stray');
  t.not(code, 0, output);
  t.match(output, 'error not-in-a-layer: src/extra/registry.ts → src/util/bytes.ts');
});

t.test('imports from the same or lower layers pass', async (t) => {
  const { code, output } = await cruise('downward');
  t.equal(code, 0, output);
  t.match(output, 'no dependency violations found (3 modules, 3 dependencies cruised)');
});
