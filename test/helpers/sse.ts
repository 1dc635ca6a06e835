/**
 * A minimal EventSource over a real socket: parses "event:" / "data:" blocks as they arrive. The stream
 * ends when the admin app closes (its preClose hook ends open streams).
 */
import http from 'node:http';
import { once } from 'node:events';

/** One server-sent event: its name and its JSON data. */
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}

export interface Sse {
  events: SseEvent[];
  ended: Promise<void>;
  /** The first event (already received or future) matching `pred`. */
  next(pred: (e: SseEvent) => boolean): Promise<SseEvent>;
}

export function openSse(url: string): Promise<Sse> {
  return new Promise((resolve, reject) => {
    const events: SseEvent[] = [];
    const waiters: Array<{ pred: (e: SseEvent) => boolean; res: (e: SseEvent) => void }> = [];
    const req = http.get(url, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`status ${res.statusCode}`));
      let buf = '';
      res.setEncoding('utf8').on('data', (chunk: string) => {
        buf += chunk;
        for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!event || data === undefined) continue;
          const e = { event, data: JSON.parse(data) as Record<string, unknown> };
          events.push(e);
          for (const w of [...waiters]) {
            if (!w.pred(e)) continue;
            waiters.splice(waiters.indexOf(w), 1);
            w.res(e);
          }
        }
      });
      resolve({
        events,
        ended: once(res, 'end').then(() => undefined),
        next: (pred) => {
          const seen = events.find(pred);
          return seen ? Promise.resolve(seen) : new Promise((res2) => waiters.push({ pred, res: res2 }));
        },
      });
    });
    req.on('error', reject);
  });
}
