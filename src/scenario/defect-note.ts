/** A note for a handshake a client completed although we served a defect fixture. */
import { CHAINS } from '../pki/chains.js';

const DEFECT_OF = new Map(CHAINS.filter((c) => c.defect).map((c) => [c.id, c.defect!]));

export function defectNote(chainId: string | undefined): string | undefined {
  const defect = chainId === undefined ? undefined : DEFECT_OF.get(chainId);
  return defect && `the client accepted defect fixture ${chainId}: a device that completes this handshake does not check what it should (${defect})`;
}
