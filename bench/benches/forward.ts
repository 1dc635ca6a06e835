/** Forward throughput: waits for `forward` mode (issue 6) to land on main. */
import { say } from '../lib/stats.js';

export async function forwardBench(): Promise<void> {
  say('== forward: not measured: hubtls has no `forward` after-TLS mode yet (issue 6)');
}
