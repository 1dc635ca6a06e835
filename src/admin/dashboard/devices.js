// hubtls dashboard, devices panel: who is connected (and over which transport), the last telemetry
// with a rate chart (messages per 10 s over the last 5 minutes), and the cloud's acts on a device:
// direct method (its answer shown), cloud-to-device message, desired patch. Reads GET /devices and
// /devices/{id}/telemetry; app.js forwards the SSE `session` events as `hubtls-session` DOM events.
// Every device-controlled string reaches the page as text (textContent, attribute values), never as markup.
const devToken = new URLSearchParams(location.search).get('token') || sessionStorage.getItem('hubtls-token') || '';
const $d = (sel) => document.querySelector(sel);
const SVG_NS = 'http://www.w3.org/2000/svg';
const BUCKET_MS = 10_000;
const BUCKETS = 30;
/** Per device id: { now (scenario clock at fetch, ms), fetchedAt (Date.now()), messages (newest first), total }. */
const telemetry = new Map();
let devices = [];

async function call(method, path, body) {
  const headers = { authorization: `Bearer ${devToken}` };
  const init = { method, headers };
  if (body !== undefined)
    Object.assign(init, { body: JSON.stringify(body), headers: { ...headers, 'content-type': 'application/json' } });
  const res = await fetch(path, init);
  const json = await res.json();
  if (!res.ok) throw json.error ?? { code: `HTTP ${res.status}`, message: res.statusText };
  return json;
}

function node(tag, attrs = {}, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  for (const c of children) n.append(c);
  return n;
}

function svgNode(tag, attrs) {
  const n = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, String(v));
  return n;
}

/** Messages per 10 s bucket, oldest bucket first, the last one ending now (on the scenario clock). */
function rates(t) {
  const counts = new Array(BUCKETS).fill(0);
  if (!t) return counts;
  const now = t.now + (Date.now() - t.fetchedAt);
  for (const m of t.messages) {
    const age = Math.floor((now - Date.parse(m.at)) / BUCKET_MS);
    if (age >= 0 && age < BUCKETS) counts[BUCKETS - 1 - age]++;
  }
  return counts;
}

function rateChart(counts) {
  const max = Math.max(1, ...counts);
  const label = `messages per 10 s over the last 5 minutes: ${counts.join(' ')}`;
  const chart = svgNode('svg', {
    class: 'rate',
    width: BUCKETS * 5,
    height: 32,
    viewBox: `0 0 ${BUCKETS * 5} 32`,
    role: 'img',
    'aria-label': label,
  });
  const title = svgNode('title', {});
  title.textContent = label;
  chart.append(title, svgNode('line', { x1: 0, y1: 31.5, x2: BUCKETS * 5, y2: 31.5, class: 'axis' }));
  counts.forEach((c, i) => {
    const h = Math.round((c / max) * 30);
    if (h > 0) chart.append(svgNode('rect', { x: i * 5, y: 31 - h, width: 4, height: h }));
  });
  return chart;
}

function lastTelemetry(id) {
  const m = telemetry.get(id)?.messages[0];
  if (!m) return node('div', { class: 'last' }, 'no telemetry yet');
  const props = Object.entries(m.properties)
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  return node(
    'div',
    { class: 'last', title: `${m.at} · ${m.bytes} bytes${props ? ` · ${props}` : ''}` },
    `last: `,
    node('code', {}, m.base64 ? `(base64) ${m.body}` : m.body),
  );
}

function deviceCard(d) {
  const link = d.connected ? `connected${d.transport ? ` over ${d.transport}` : ''}` : 'not connected';
  return node(
    'li',
    {
      class: d.connected ? 'device up' : 'device',
      'data-device': d.id,
      'data-connected': String(d.connected),
      'data-transport': d.transport ?? '',
    },
    node('span', { class: 'id' }, d.id),
    node('span', { class: 'link' }, link),
    node(
      'span',
      { class: 'meta' },
      `${d.auth} · from ${d.source} · ${d.telemetryCount} message${d.telemetryCount === 1 ? '' : 's'} · twin desired v${d.twinVersions.desired}, reported v${d.twinVersions.reported}${d.lastActivity ? ` · active ${d.lastActivity}` : ''}`,
    ),
    rateChart(rates(telemetry.get(d.id))),
    lastTelemetry(d.id),
  );
}

function render() {
  $d('#device-list').replaceChildren(...devices.map(deviceCard));
  $d('#device-none').hidden = devices.length > 0;
  const sel = $d('#d-device');
  const keep = sel.value;
  sel.replaceChildren(
    ...devices.map((d) => node('option', { value: d.id }, d.connected ? `${d.id} (connected)` : d.id)),
  );
  if (devices.some((d) => d.id === keep)) sel.value = keep;
}

/** Re-reads the registry and the telemetry of devices whose count moved (of all, after a notice: the clock may have moved). */
async function refresh(all = false) {
  devices = await call('GET', '/devices');
  await Promise.all(
    devices
      .filter((d) => d.telemetryCount > 0 && (all || telemetry.get(d.id)?.total !== d.telemetryCount))
      .map(async (d) => {
        const r = await call('GET', `/devices/${encodeURIComponent(d.id)}/telemetry?limit=100`);
        telemetry.set(d.id, { now: Date.parse(r.now), fetchedAt: Date.now(), messages: r.messages, total: r.total });
      }),
  );
  render();
}

let pending;
let pendingAll = false;
/** Session events come in bursts (a device sending fast): one refresh per burst. */
function soon(all = false) {
  pendingAll ||= all;
  pending ??= setTimeout(() => {
    const whole = pendingAll;
    pending = undefined;
    pendingAll = false;
    refresh(whole).catch((e) => show(`${e.code}: ${e.message}`, true));
  }, 200);
}

function show(text, isError = false) {
  const out = $d('#d-answer');
  out.textContent = text;
  out.className = isError ? 'error' : '';
}

/** JSON from a text field; an empty field is `fallback`. */
function json(text, fallback) {
  if (!text.trim()) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw { code: 'JSON', message: `not JSON: ${text}` };
  }
}

const path = (rest) => `/devices/${encodeURIComponent($d('#d-device').value)}${rest}`;

const ACTS = {
  '#f-method': async (f) => {
    const body = { payload: json(f.payload.value, null) };
    if (f.timeout.value) body.timeoutSeconds = Number(f.timeout.value);
    const r = await call('POST', path(`/methods/${encodeURIComponent(f.method.value)}`), body);
    return `method ${f.method.value} answered ${r.status}: ${JSON.stringify(r.payload)}`;
  },
  '#f-c2d': async (f) => {
    const r = await call('POST', path('/c2d'), { body: f.body.value, properties: json(f.properties.value, {}) });
    return `C2D ${r.messageId}: ${r.queued !== undefined ? `queued (${r.queued} waiting)` : r.delivered ? 'delivered' : 'not delivered (device not subscribed)'}`;
  },
  '#f-desired': async (f) => {
    const r = await call('PATCH', path('/twin/desired'), json(f.patch.value, {}));
    return `desired is now v${r.version}, ${r.delivered ? 'pushed to the device' : 'not pushed (device not connected or not subscribed)'}`;
  },
};

function wireActs() {
  for (const [sel, act] of Object.entries(ACTS))
    $d(sel).addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show('…');
      try {
        show(await act(ev.target));
        soon();
      } catch (e) {
        show(`${e.code}: ${e.message}`, true);
      }
    });
}

async function startDevices() {
  wireActs();
  document.addEventListener('hubtls-session', (ev) => ev.detail.deviceId && soon());
  document.addEventListener('hubtls-notice', () => soon(true));
  // The chart moves with time even when nothing arrives.
  setInterval(render, BUCKET_MS);
  try {
    await refresh();
  } catch (e) {
    show(`${e.code}: ${e.message}`, true);
  }
  document.body.dataset.devicesReady = 'true';
}

startDevices();
