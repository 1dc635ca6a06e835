/**
 * `hubtls certs export | list | regenerate`. Results go to stdout; log events (lock waits,
 * repairs) go to stderr as JSON lines. Errors are thrown (HubtlsError) for the main CLI to print.
 */
import { Command, Option } from 'commander';
import { createLogger, type Logger } from '../events/logger.js';
import { rootInfos } from '../pki/catalog.js';
import { chainInfos, DEFAULT_CHAIN } from '../pki/chains.js';
import { EXPORT_FORMATS, exportTrust, type ExportFormat } from '../pki/export.js';
import { PkiStore, resolveCertsDir } from '../pki/store.js';

export interface CertsCommandDeps {
  /** Where results are printed (default process.stdout). */
  out?: (text: string) => void;
  log?: Logger;
}

interface CertsOpts {
  certs?: string;
}
interface Ctx {
  out: (text: string) => void;
  open: (cmd: Command) => Promise<PkiStore>;
}

export function registerCertsCommand(program: Command, deps: CertsCommandDeps = {}): Command {
  const ctx: Ctx = {
    out: deps.out ?? ((s: string) => void process.stdout.write(s)),
    open: (cmd) =>
      PkiStore.open(resolveCertsDir(cmd.optsWithGlobals<CertsOpts>().certs), {
        log: deps.log ?? createLogger({ destination: process.stderr }),
      }),
  };
  const certs = program
    .command('certs')
    .description('the generated test PKI: stand-ins for the Azure roots, chains, device certs');
  addExport(certs, ctx);
  certs
    .command('list')
    .description('list the chains (with defect fixtures) and roots hubtls can serve')
    .action(() => ctx.out(renderList()));
  addRegenerate(certs, ctx);
  return certs;
}

const certsDirOption = () => new Option('--certs <dir>', 'certs directory (default ./certs, or HUBTLS_CERTS_DIR)');

function addExport(certs: Command, ctx: Ctx): void {
  certs
    .command('export')
    .description('write the roots, Azure bundles and device certificates for a device under test')
    .requiredOption('--out <dir>', 'directory to write into')
    .addOption(new Option('--format <format>', 'file format').choices(EXPORT_FORMATS).default('pem'))
    .addOption(certsDirOption())
    .action(async (opts: { out: string; format: ExportFormat }, cmd: Command) => {
      const files = await exportTrust(await ctx.open(cmd), { out: opts.out, format: opts.format });
      ctx.out(files.map((f) => `${f}\n`).join('') + `wrote ${files.length} files to ${opts.out}\n`);
    });
}

function addRegenerate(certs: Command, ctx: Ctx): void {
  certs
    .command('regenerate')
    .description('wipe the certs directory and generate the given chains again')
    .option('--chain <id...>', 'chains to generate right away (both kinds)', [DEFAULT_CHAIN, 'ecc-g3'])
    .addOption(certsDirOption())
    .action(async (opts: { chain: string[] }, cmd: Command) => {
      const store = await ctx.open(cmd);
      const t0 = performance.now();
      await store.regenerate();
      await store.prepare(
        opts.chain.flatMap((chainId) => [
          { chainId, kind: 'iothub' as const },
          { chainId, kind: 'dps' as const },
        ]),
      );
      ctx.out(
        `regenerated ${store.dir}: ${opts.chain.join(', ')} in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`,
      );
    });
}

/** The catalog as text: chains, defect fixtures, roots. Needs no certificates. */
export function renderList(): string {
  const chains = chainInfos();
  const row = (cols: string[], widths: number[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd() + '\n';
  const chainRow = (c: (typeof chains)[number]) => row([`  ${c.id}`, c.keyType, c.rootId, c.description], [22, 3, 16]);
  return [
    'Chains (served: leaf + intermediates; the root is known, not served)\n',
    ...chains.filter((c) => !c.defect).map(chainRow),
    '\nDefect fixtures\n',
    ...chains.filter((c) => c.defect).map(chainRow),
    '\nRoots\n',
    ...rootInfos().map((r) =>
      row(
        [
          `  ${r.id}`,
          r.keyType === 'rsa' ? `RSA-${r.keyBits}` : `P-${r.keyBits}`,
          r.signature,
          `${r.subject}${r.testOnly ? ' (test only)' : ''}`,
        ],
        [22, 8, 23],
      ),
    ),
  ].join('');
}
