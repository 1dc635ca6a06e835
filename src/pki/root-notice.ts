/**
 * When the store replaces a root it had issued before (its key or certificate file was damaged,
 * or manifest.json was lost), every trust store that imported the old root stops trusting hubtls.
 * That is a silent break for whoever exported the roots to a device weeks ago, so besides the
 * JSON warning it is said to a person, on stderr, with the command that fixes it.
 */
import type { Logger } from '../events/logger.js';
import { ROOTS } from './catalog.js';
import type { Damage } from './session.js';

export interface ReplacedRoot {
  id: string;
  /** The file whose damage caused it, and what was wrong with it. */
  file: string;
  problem: string;
}

function describeRoot(id: string): string {
  const def = ROOTS.find((r) => r.id === id);
  const exported = `${def?.fileName ?? id}.pem`;
  return `${id} (exported as ${exported})`;
}

/** The plain multi-line message: what happened, which roots, what to run. */
export function rootsReplacedMessage(dir: string, roots: ReplacedRoot[]): string {
  const lines = [
    '',
    `hubtls: WARNING: ${roots.length === 1 ? 'a root CA' : `${roots.length} root CAs`} in ${dir} ` +
      `${roots.length === 1 ? 'was' : 'were'} damaged and replaced by a NEW root certificate:`,
    ...roots.map((r) => `  - ${describeRoot(r.id)}: ${r.file}: ${r.problem}`),
    'Devices and trust stores that imported an earlier export of these roots will now refuse hubtls.',
    'Export the roots again and install them where the old ones were:',
    `  hubtls certs export --certs ${dir} --out <dir>`,
    '',
  ];
  return lines.join('\n') + '\n';
}

/** Default notice: straight to stderr, whatever the logger does with the JSON event. */
export function writeRootsReplaced(dir: string, roots: ReplacedRoot[]): void {
  process.stderr.write(rootsReplacedMessage(dir, roots));
}

/** After a generating pass: the roots it re-issued because of damage, as a warn event and a notice. */
export function reportReplacedRoots(
  issued: ReadonlyArray<{ id: string; damage: Damage | null }>,
  dir: string,
  log: Logger,
  notify: (dir: string, roots: ReplacedRoot[]) => void,
): void {
  const roots = issued.flatMap(({ id, damage }) => (damage ? [{ id, ...damage }] : []));
  if (roots.length === 0) return;
  log.warn(
    { event: 'pki.roots.replaced', dir, roots },
    `replaced root(s) ${roots.map((r) => r.id).join(', ')}: export the roots again (hubtls certs export)`,
  );
  notify(dir, roots);
}
