// hubtls dashboard: plain browser JavaScript, no build step. Reads /state, /catalog and
// /handshakes, follows /events (SSE), and posts the timeline actions. The devices panel is devices.js.
const params = new URLSearchParams(location.search);
const token = params.get('token') || sessionStorage.getItem('hubtls-token') || '';
sessionStorage.setItem('hubtls-token', token);
const $ = (sel) => document.querySelector(sel);
let state = null;
let catalog = null;
let total = 0;

async function api(path, body) {
  const init = { method: body ? 'POST' : 'GET', headers: { authorization: `Bearer ${token}` } };
  if (body)
    Object.assign(init, {
      body: JSON.stringify(body),
      headers: { ...init.headers, 'content-type': 'application/json' },
    });
  const res = await fetch(path, init);
  const json = await res.json();
  if (!res.ok) throw json.error ?? { code: `HTTP ${res.status}`, message: res.statusText };
  return json;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c);
  return node;
}

const OUTCOME_CLASS = {
  HUBTLS_ACCEPTED: 'o-ok',
  HUBTLS_REFUSED_VERSION: 'o-refused',
  HUBTLS_REFUSED_CIPHER: 'o-refused',
  HUBTLS_REFUSED_SNI: 'o-refused',
  HUBTLS_CLIENT_REJECTED_CHAIN: 'o-rejected',
  HUBTLS_MTLS_UNAUTHORIZED: 'o-rejected',
  HUBTLS_DEVICE_UNAUTHORIZED: 'o-rejected',
  HUBTLS_FAULT_INJECTED: 'o-fault',
};

const KEY = { rsa: 'RSA', ec: 'ECC' };

function certBox(cert, extraClass) {
  const title = `${cert.subject}\nissuer: ${cert.issuer}\nvalid ${cert.notBefore} – ${cert.notAfter}\nSHA-256 ${cert.sha256}`;
  return el(
    'li',
    { class: `cert ${cert.keyType} ${extraClass}`.trim(), title },
    el('span', { class: 'cn' }, cert.cn),
    `${KEY[cert.keyType]} · until ${cert.notAfter.slice(0, 10)}`,
  );
}

function rootBox(chain) {
  const cn = /CN=([^,]*)$/.exec(chain.root)?.[1] ?? chain.root;
  return el(
    'li',
    {
      class: `cert ${chain.keyType} root`,
      title: `${chain.root}\nthe device must trust this root; it is never served`,
    },
    el('span', { class: 'cn' }, cn),
    'root · the device must trust it',
  );
}

/** The chain as devices see it: leaf → intermediates → the root they must trust (dashed: not served). */
function chainList(chain) {
  const list = el('ol', { class: 'chain', 'data-chain': chain.id, 'aria-label': `chain ${chain.id}` });
  chain.served.forEach((cert, i) => {
    if (i > 0) list.append(el('li', { class: 'link' }, '→'));
    list.append(certBox(cert, i === 0 ? 'leaf' : 'intermediate'));
  });
  list.append(el('li', { class: 'link' }, '→'), rootBox(chain));
  return list;
}

/** One key type's chain, or every chain of a mixed rollout with its weight and the seed. */
function servedChain(c) {
  if (!c.mix) return [el('div', { class: 'meta' }, `${KEY[c.keyType]} chain ${c.id}`), chainList(c)];
  const seed = `seed ${c.mix.seed}${c.mix.seeded ? '' : ' (random: put it in the scenario to repeat the sequence)'}`;
  const mix = el('div', { class: 'mix', 'data-mix': c.keyType });
  for (const o of c.mix.options) {
    const share = `${Math.round(o.share * 1000) / 10} %`;
    mix.append(
      el('div', { class: 'meta', 'data-weight': String(o.weight) }, `${o.chain.id} · weight ${o.weight} (${share})`),
      chainList(o.chain),
    );
  }
  const head = `${KEY[c.keyType]} chains drawn per connection by weight, ${seed}`;
  return [el('div', { class: 'meta' }, head), mix];
}

function renderEndpoints() {
  const box = $('#endpoints');
  box.replaceChildren(el('h2', {}, 'Endpoints'));
  for (const ep of state.endpoints) {
    const card = el(
      'div',
      { class: 'endpoint', 'data-endpoint': ep.name },
      el('h3', {}, `${ep.name} (${ep.kind}) — profile ${ep.profile}`),
      el(
        'div',
        { class: 'meta' },
        `${ep.listen.host}:${ep.listen.port} · SNI ${ep.hostnames.join(', ')}${ep.isDefault ? ' (default)' : ''} · open ${ep.openConnections} · leaf generation ${ep.generation}`,
      ),
    );
    for (const c of Object.values(ep.chains)) card.append(...servedChain(c));
    box.append(card);
  }
  $('#steps').replaceChildren(
    ...(state.timeline ?? []).map((st) =>
      el(
        'li',
        { class: `step ${st.state}`, 'data-step': st.id },
        `${st.id} — ${st.state} (${st.trigger}): ${(st.actions ?? []).join(', ')}`,
      ),
    ),
  );
  $('#faults').replaceChildren(
    ...(state.faults ?? []).map((f) =>
      el(
        'li',
        { class: f.active ? 'fault active' : 'fault', 'data-fault': f.id },
        `${f.id}: ${f.fault} on ${f.endpoint} — ${f.active ? 'active' : 'idle'}, acted ${f.acted ?? 0}×`,
      ),
    ),
  );
  $('#scenario').textContent = `scenario ${state.scenario.name}`;
  $('#clock').textContent = `${state.clock.now}${state.clock.simulated ? ' (simulated)' : ''}`;
}

function fillSelects() {
  const lists = {
    endpoints: state.endpoints.map((e) => e.name),
    'endpoints-all': ['', ...state.endpoints.map((e) => e.name)],
    chains: catalog.chains.map((c) => c.id),
    'rsa-chains': catalog.chains.filter((c) => c.keyType === 'rsa' && !c.defect).map((c) => c.id),
    profiles: catalog.profiles.map((p) => p.id),
  };
  for (const sel of document.querySelectorAll('select[data-list]')) {
    const keep = sel.value;
    sel.replaceChildren(...lists[sel.dataset.list].map((v) => el('option', { value: v }, v || '(all)')));
    if (keep) sel.value = keep;
  }
}

function feedRow(h) {
  const neg = h.negotiated
    ? `${h.negotiated.version} ${h.negotiated.suite}`
    : h.alertSent
      ? `alert ${h.alertSent}`
      : '';
  const row = el(
    'tr',
    { 'data-conn': String(h.conn) },
    el('td', {}, new Date(h.at ?? Date.now()).toLocaleTimeString()),
    el('td', { class: 'outcome' }, el('span', {})),
    el('td', {}, h.endpoint ?? ''),
    el('td', {}, h.peer),
    el('td', {}, neg),
    el('td', { class: 'reason' }),
  );
  showVerdict(row, h.outcome, h.reason, h.handshakeOutcome);
  return row;
}

/** Colours a row by its final verdict; a verdict that came after the handshake says what it replaced. */
function showVerdict(row, outcome, reason, handshakeOutcome) {
  row.className = OUTCOME_CLASS[outcome] ?? 'o-other';
  row.dataset.outcome = outcome;
  const short = (o) => o.replace('HUBTLS_', '');
  row.querySelector('.outcome span').textContent = short(outcome);
  row.querySelector('.reason').textContent = reason;
  if (handshakeOutcome) {
    row.dataset.handshakeOutcome = handshakeOutcome;
    row.title = `final verdict ${short(outcome)}; the handshake itself was ${short(handshakeOutcome)}`;
  }
}

/** A `verdict` event: the connection's row (if still shown) takes its final verdict. */
function applyVerdict(v) {
  const row = document.querySelector(`#feed tbody tr[data-conn="${v.conn}"]`);
  if (row) showVerdict(row, v.outcome, v.reason, row.dataset.handshakeOutcome ?? v.handshakeOutcome);
}

function addHandshake(h) {
  const body = $('#feed tbody');
  body.prepend(feedRow(h));
  while (body.rows.length > 200) body.deleteRow(-1);
}

function say(text, isError = false) {
  $('#message').textContent = text;
  $('#message').className = isError ? 'error' : '';
}

async function act(path, body) {
  try {
    const r = await api(path, body);
    state = r.state;
    renderEndpoints();
    say(r.message);
  } catch (e) {
    say(`${e.code}: ${e.message}`, true);
  }
}

function formData(form) {
  return Object.fromEntries([...new FormData(form)].filter(([, v]) => v !== ''));
}

function wireControls() {
  const on = (id, fn) => $(id).addEventListener('submit', (ev) => (ev.preventDefault(), fn(formData(ev.target))));
  on('#f-migrate', (d) => act('/timeline/migrate', { chain: d.chain }));
  on('#f-chain', (d) => act('/timeline/chain', { endpoint: d.endpoint, chain: d.chain }));
  on('#f-profile', (d) => act('/timeline/profile', d));
  on('#f-clock', (d) => act('/timeline/clock', { to: new Date(`${d.to}Z`).toISOString() }));
  on('#f-drop', (d) => act('/timeline/drop', d));
  const declared = (id) => (state.faults ?? []).some((f) => f.id === id);
  on('#f-fault', (d) => act('/timeline/fault', declared(d.fault) ? { id: d.fault } : d));
  on('#f-trigger', (d) => act('/timeline/trigger', d));
  $('#b-fault-stop').addEventListener('click', () =>
    act('/timeline/fault', { id: $('#f-fault [name=fault]').value, stop: true }),
  );
  $('#b-reload').addEventListener('click', () => act('/scenario/reload', {}));
  $('#b-rotate').addEventListener('click', () =>
    act('/timeline/chain', { endpoint: $('#f-chain [name=endpoint]').value, rotate: 'leaf' }),
  );
  $('#b-plus30').addEventListener('click', () => act('/timeline/clock', { advanceSeconds: 30 * 86400 }));
}

function follow() {
  const es = new EventSource(`/events?token=${encodeURIComponent(token)}`);
  es.addEventListener('open', () => {
    $('#live').textContent = 'live';
    $('#live').className = 'up';
    document.body.dataset.ready = 'true';
  });
  es.addEventListener('error', () => (($('#live').textContent = 'disconnected'), ($('#live').className = 'down')));
  es.addEventListener('handshake', (m) => {
    addHandshake({ at: new Date().toISOString(), ...JSON.parse(m.data) });
    $('#total').textContent = `(${++total})`;
  });
  es.addEventListener('verdict', (m) => applyVerdict(JSON.parse(m.data)));
  // The devices panel (devices.js) follows sessions and notices through the page's one stream.
  const forward = (name) => (m) => document.dispatchEvent(new CustomEvent(name, { detail: JSON.parse(m.data) }));
  es.addEventListener('session', forward('hubtls-session'));
  es.addEventListener('notice', forward('hubtls-notice'));
  es.addEventListener('notice', async () => {
    state = await api('/state');
    renderEndpoints();
  });
}

async function start() {
  try {
    [state, catalog] = await Promise.all([api('/state'), api('/catalog')]);
  } catch (e) {
    return say(`${e.code}: ${e.message} — open the dashboard URL hubtls printed at start (…/dashboard?token=…)`, true);
  }
  renderEndpoints();
  fillSelects();
  wireControls();
  const recent = await api('/handshakes?limit=100');
  for (const h of recent.handshakes.reverse()) addHandshake(h);
  total = recent.total;
  $('#total').textContent = `(${total})`;
  follow();
}

start();
