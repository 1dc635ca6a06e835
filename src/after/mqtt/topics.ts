/** MQTT topic filters and the `?key=value&…` property bags IoT Hub and DPS put into topic names. */

/** MQTT 3.1.1 matching: `+` one level, `#` the rest; `$…` topics only match filters that name `$…`. */
export function topicMatches(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

/** "?$rid=1&operationId=x" or "$rid=1&…" → { $rid: '1', operationId: 'x' } (URL-decoded). */
export function parseQuery(q: string): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(q.replace(/^\?/, '')));
}

/** IoT Hub writes `$rid`, `$.mid`, `$version` literally; everything else is URL-encoded. */
const enc = (s: string) => encodeURIComponent(s).replace(/%24/g, '$');

/** Properties encoded as IoT Hub does in topic names: key=value pairs joined by &. */
export function encodeProperties(props: Record<string, string>): string {
  return Object.entries(props)
    .map(([k, v]) => `${enc(k)}=${enc(v)}`)
    .join('&');
}

/** Body for events: UTF-8 text when it round-trips, else base64. */
export function bodyText(payload: Buffer): { body: string; base64?: boolean } {
  const text = payload.toString('utf8');
  return Buffer.from(text, 'utf8').equals(payload)
    ? { body: text }
    : { body: payload.toString('base64'), base64: true };
}
