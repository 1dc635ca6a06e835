/**
 * Words for record-size trouble: when a client aborts with record_overflow, say whether the hub
 * ignored its max_fragment_length (as non-preview hubs do) or broke the agreed length on purpose.
 */
import type { Accepted } from '../policy/types.js';
import type { RecordFaults } from './faults.js';
import { ALERT } from '../wire/constants.js';

export function recordOverflowHint(received: number | undefined, d: Accepted, faults?: RecordFaults): string {
  if (received !== ALERT.recordOverflow) return '';
  if (faults?.oversize !== undefined)
    return `; fault: hubtls sent ${faults.oversize}-byte records${d.mfl ? ` although max_fragment_length ${d.mfl.requested} was agreed` : ''}, and the client refused them as it should`;
  if (d.mfl?.mode === 'ignore')
    return `; the client asked for max_fragment_length ${d.mfl.requested} and profile ${d.profile} ignores it (as IoT Hub does outside preview), so records up to 16384 bytes overflowed its buffer`;
  return '';
}
