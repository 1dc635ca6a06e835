/**
 * The JSON body of a per-connection log line (handshake, verdict), key by key, as JSON.stringify
 * would write the same object. Its largest part, the ClientHello summary, is the same for every
 * connection of one hello shape but its `bytes` (src/tls/hello-cache.ts shares the frozen arrays),
 * so its text is kept per shape and only `bytes` is written per connection (issue 17).
 */

/** Per shape (the shared `suites` array): the summary's values but the last, and their JSON. */
interface Kept {
  keys: string[];
  values: unknown[];
  /** The JSON of every key but the last, without the closing brace. */
  head: string;
}

const kept = new WeakMap<object, Kept>();

/** `JSON.stringify(fields).slice(1, -1)` with `first` as the first key. */
export function jsonBody(first: [string, string], fields: Record<string, unknown>, skip: ReadonlySet<string>): string {
  let body = `${JSON.stringify(first[0])}:${JSON.stringify(first[1])}`;
  for (const k of Object.keys(fields)) {
    if (skip.has(k)) continue;
    const v = fields[k];
    const json = k === 'hello' ? helloJson(v) : JSON.stringify(v);
    if (json !== undefined) body += `,${JSON.stringify(k)}:${json}`;
  }
  return body;
}

/** The summary's JSON; from the text kept for its shape when all but its last value are the same ones. */
function helloJson(v: unknown): string | undefined {
  const suites = (v as { suites?: unknown } | null)?.suites;
  if (!Array.isArray(suites) || !Object.isFrozen(suites)) return JSON.stringify(v);
  const h = v as Record<string, unknown>;
  const keys = Object.keys(h);
  const last = keys[keys.length - 1]!;
  const k = kept.get(suites);
  if (k && sameHead(k, keys, h)) {
    const tail = JSON.stringify(h[last]);
    if (tail === undefined) return `${k.head}}`;
    return `${k.head}${k.head.length > 1 ? ',' : ''}${JSON.stringify(last)}:${tail}}`;
  }
  const json = JSON.stringify(v);
  const values = keys.map((key) => h[key]);
  // Compared by identity from here on: only values that cannot change in place are kept.
  if (values.every((x) => typeof x !== 'object' || x === null || Object.isFrozen(x))) {
    const { [last]: _last, ...rest } = h;
    kept.set(suites, { keys, values, head: JSON.stringify(rest).slice(0, -1) });
  }
  return json;
}

function sameHead(k: Kept, keys: string[], h: Record<string, unknown>): boolean {
  if (k.keys.length !== keys.length) return false;
  for (let i = 0; i < keys.length - 1; i++) if (k.keys[i] !== keys[i] || k.values[i] !== h[keys[i]!]) return false;
  return k.keys[keys.length - 1] === keys[keys.length - 1];
}
