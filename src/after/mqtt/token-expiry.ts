/**
 * IoT Hub closes an MQTT connection authenticated by a SAS token when the token expires (the device
 * must reconnect with a new token before `se`). The delay is read on the scenario clock; a clock
 * move (timeline `clock:`, the admin API) re-arms it. Expiries more than 24 days ahead (beyond a
 * Node timer) are not armed; a test hub rarely lives that long.
 */
import { parseSas } from '../../core/sas.js';
import type { SessionContext } from '../types.js';

const MAX_TIMER_MS = 2 ** 31 - 1;

/** The token's expiry (unix seconds), or undefined when the password is not a SAS token. */
export function sasExpiry(password: string | undefined): number | undefined {
  return password ? parseSas(password)?.expiry : undefined;
}

/** Arms the close at `expiry` (unix seconds); returns the disarm. */
export function armTokenExpiry(ctx: SessionContext, expiry: number, close: (reason: string) => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    const ms = expiry * 1000 - ctx.now().getTime();
    if (ms > MAX_TIMER_MS) return;
    const at = new Date(expiry * 1000).toISOString();
    timer = setTimeout(() => close(`SAS token expired at ${at} (scenario time); IoT Hub closes the connection`), ms);
    timer.unref();
  };
  arm();
  const unsubscribe = ctx.bus.subscribe((e) => e.type === 'notice' && e.what === 'clock' && arm());
  return () => (clearTimeout(timer), unsubscribe());
}
