import { alertName } from '../wire/constants.js';
import { versionLabel } from '../../profiles/suites.js';
import type { Decision } from './types.js';

/** One line, in words, of what the policy decided and why. */
export function explain(d: Decision): string {
  const where = `endpoint ${d.endpoint} (profile ${d.profile})`;
  if (d.code !== 'HUBTLS_ACCEPTED')
    return `refused on ${where} with alert ${alertName(d.alert)}(${d.alert}): ${d.reason}`;
  const mfl = d.mfl
    ? `; max_fragment_length ${d.mfl.requested} ${d.mfl.mode === 'honour' ? 'honoured' : 'ignored'}`
    : '';
  const engine = d.engine === 'openssl' ? '' : ` via the ${d.engine} engine`;
  return `accepted on ${where}: ${versionLabel(d.version)} ${d.suite}, ${d.keyType.toUpperCase()} chain ${d.chain}${engine}${mfl}`;
}
