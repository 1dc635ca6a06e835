/**
 * The device query core without a socket: the parser (the subset served, case-insensitive keywords,
 * refusals that name the position and what is supported, a malformed-query fuzz that never throws),
 * the evaluator (IoT Hub's undefined and type-mismatch semantics) and paging with continuation tokens.
 */
import t from 'tap';
import { DeviceRegistry } from '../../src/core/registry.js';
import { putDevice } from '../../src/core/registry-api.js';
import { putModule } from '../../src/core/module-api.js';
import { deviceTarget, patchTwinApi } from '../../src/core/twin-api.js';
import { parseQuery, MAX_DEPTH, type ParsedQuery } from '../../src/core/query-parse.js';
import { evaluate, pageSize, runQuery, QUERY_PAGE_MAX } from '../../src/core/query-eval.js';
import type { DeviceLink } from '../../src/core/links.js';

const NOW = new Date('2026-03-01T10:00:00Z');

function parsed(q: string): ParsedQuery {
  const p = parseQuery(q);
  if ('error' in p) throw new Error(`${q}: ${p.error}`);
  return p;
}

function refusal(q: unknown): string {
  const p = parseQuery(q);
  return 'error' in p ? p.error : 'accepted';
}

/** Whether the WHERE of `SELECT * FROM devices WHERE <cond>` is true for `doc`. */
function where(cond: string, doc: unknown): boolean | undefined {
  return evaluate(parsed(`SELECT * FROM devices WHERE ${cond}`).where!, doc);
}

function must(r: { ok: boolean }): void {
  if (!r.ok) throw new Error(`setup failed: ${JSON.stringify(r)}`);
}

const link = (): DeviceLink => ({ conn: 1, method: () => true, desired: () => true, close: () => {} });

function fleet(n = 5) {
  const reg = new DeviceRegistry({ idScope: '0ne00000001', cas: [], devices: [], enrollments: [] }, () => NOW);
  for (let i = n; i >= 1; i--) {
    const id = `dev-${String(i).padStart(2, '0')}`;
    must(putDevice(reg, id, { deviceId: id }, undefined, NOW));
    const tags = { site: i % 2 ? 'B7' : 'A1', rack: { row: i }, ...(i === 1 ? { spare: null } : {}) };
    must(patchTwinApi(deviceTarget(reg, id), { tags }, undefined));
  }
  reg.patchReported('dev-02', { fw: '2.1.0', temp: 21.5 });
  reg.links.attach('dev-03', link());
  must(putModule(reg, { d: 'dev-02', m: 'edgeAgent' }, {}, undefined, NOW));
  must(putModule(reg, { d: 'dev-01', m: 'sensor' }, {}, undefined, NOW));
  must(putModule(reg, { d: 'dev-01', m: 'agent' }, {}, undefined, NOW));
  return reg;
}

const ids = (v: unknown[]) =>
  (v as Array<{ deviceId: string; moduleId?: string }>).map((d) =>
    d.moduleId ? `${d.deviceId}/${d.moduleId}` : d.deviceId,
  );

t.test('parser: the subset, case-insensitive keywords', async (t) => {
  t.same(parsed('SELECT * FROM devices'), { from: 'devices', select: { kind: 'all' } });
  t.same(parsed('select Count() as total from DEVICES.modules'), {
    from: 'devices.modules',
    select: { kind: 'count', alias: 'total' },
  });
  const q = parsed('SeLeCt * FrOm devices WhErE tags.a.b <> \'x\' aNd NoT (x nin [1, -2.5, 0x10, true, null, "s"])');
  t.same(q.where, {
    op: 'and',
    l: { op: 'cmp', cmp: '!=', l: { path: ['tags', 'a', 'b'] }, r: { value: 'x' } },
    r: { op: 'not', c: { op: 'nin', l: { path: ['x'] }, list: [1, -2.5, 16, true, null, 's'] } },
  });
  t.same(parsed("SELECT * FROM devices WHERE is_defined(properties.reported.fw) OR startswith(deviceId, 'a')").where, {
    op: 'or',
    l: { op: 'defined', path: ['properties', 'reported', 'fw'] },
    r: { op: 'startswith', l: { path: ['deviceId'] }, r: { value: 'a' } },
  });
  t.same(parsed('SELECT * FROM devices WHERE a = 1 OR b = 2 AND c = 3').where?.op, 'or', 'AND binds tighter than OR');
  t.same(parsed("SELECT * FROM devices WHERE s = 'it\\'s \\u00e9'").where, {
    op: 'cmp',
    cmp: '=',
    l: { path: ['s'] },
    r: { value: "it's é" },
  });
});

t.test('parser: refusals name the position, the token and what is supported', async (t) => {
  const cases: Array<[string, RegExp]> = [
    ['SELECT deviceId FROM devices', /expected \* or COUNT\(\).* but found 'deviceId' at position 7/],
    ['SELECT * FROM devices GROUP BY status', /GROUP BY is not supported at position 22/],
    ['SELECT * FROM devices ORDER BY deviceId', /ORDER BY is not supported at position 22/],
    ['SELECT TOP 5 * FROM devices', /SELECT TOP is not supported at position 7/],
    ['SELECT * FROM devices.jobs', /'devices\.jobs' is not a collection hubtls serves.* at position 22/],
    ['SELECT * FROM enrollments', /expected devices or devices\.modules.* but found 'enrollments' at position 14/],
    ['SELECT COUNT() FROM devices', /AS name after COUNT\(\).* at position 15/],
    [
      'SELECT * FROM devices WHERE',
      /expected a property path or a constant but found the end of the query at position 27/,
    ],
    ["SELECT * FROM devices WHERE x = 'abc", /unterminated string at position 32/],
    ["SELECT * FROM devices WHERE LOWER(x) = 'a'", /function LOWER\(\) is not supported at position 28/],
    ['SELECT * FROM devices WHERE x', /expected a comparison .* but found the end of the query at position 29/],
    ['SELECT * FROM devices WHERE x IN []', /expected a constant in the list but found '\]' at position 34/],
    ['SELECT * FROM devices WHERE x IN [y]', /expected a constant .* in the list but found 'y' at position 34/],
    [
      'SELECT * FROM devices WHERE x = 1 x = 2',
      /expected AND, OR or the end of the query but found 'x' at position 34/,
    ],
    ['SELECT * FROM devices WHERE x # 1', /unexpected character '#' at position 30/],
    ['SELECT * FROM devices WHERE (x = 1', /expected '\)' but found the end of the query at position 34/],
    ['SELECT * FROM devices WHERE x = 1 + 2', /unexpected character '\+' at position 34/],
    ['SELECT * FROM devices WHERE ' + '('.repeat(MAX_DEPTH + 1) + 'x = 1' + ')'.repeat(MAX_DEPTH + 1), /nested deeper/],
    ['SELECT * FROM devices WHERE s = "\\q"', /invalid escape '\\q' in a string at position 33/],
  ];
  for (const [q, re] of cases) {
    const e = refusal(q);
    t.match(e, re, q);
    t.match(e, /hubtls supports SELECT \* or SELECT COUNT\(\) AS name/, `${q}: says what is supported`);
    t.notMatch(e, /;/, 'no ";" (the SDKs split the error Message on it)');
  }
  t.match(refusal(undefined), /the body must be \{"query"/);
  t.match(refusal('   '), /the body must be \{"query"/);
  t.match(refusal('SELECT * FROM devices WHERE ' + 'x = 1 AND '.repeat(900) + 'x = 1'), /longer than 8192/);
});

t.test('parser fuzz: a few hundred malformed token strings never throw', async (t) => {
  const vocab = [
    'SELECT',
    'select',
    '*',
    'COUNT',
    '(',
    ')',
    'AS',
    'n',
    'FROM',
    'devices',
    '.',
    'modules',
    'jobs',
    'WHERE',
    'AND',
    'OR',
    'NOT',
    'IN',
    'NIN',
    '[',
    ']',
    ',',
    '=',
    '!=',
    '<>',
    '<',
    '>',
    '<=',
    '>=',
    'tags',
    'x',
    "'s'",
    "'",
    '"',
    '\\',
    '1',
    '-',
    '-1.5e3',
    '0x1F',
    '1e999',
    'true',
    'null',
    'IS_DEFINED',
    'STARTSWITH',
    'ENDSWITH',
    'GROUP',
    'BY',
    'TOP',
    '$version',
    '#',
    '\u00e9',
    '\u0000',
    '',
  ];
  let seed = 42;
  const rand = (n: number) => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n;
  let accepted = 0;
  for (let i = 0; i < 400; i++) {
    const prefix = i % 2 ? 'SELECT * FROM devices WHERE ' : '';
    const words = Array.from({ length: 1 + rand(14) }, () => vocab[rand(vocab.length)]);
    const q = prefix + words.join(rand(3) ? ' ' : '');
    let p: ReturnType<typeof parseQuery>;
    try {
      p = parseQuery(q);
    } catch (e) {
      t.fail(`threw on ${JSON.stringify(q)}: ${String(e)}`);
      continue;
    }
    if ('error' in p) t.match(p.error, /^invalid query: .* at position \d+\. hubtls supports/, JSON.stringify(q));
    else {
      accepted++;
      // what parses also evaluates without throwing, on any document
      for (const doc of [{}, { x: 1, tags: { x: 's' } }, null]) if (p.where) evaluate(p.where, doc);
    }
  }
  t.ok(accepted < 400, `${400 - accepted} of 400 refused, none threw`);

  // valid queries with one token dropped, doubled or swapped with its neighbour
  const valid = [
    "SELECT * FROM devices WHERE ( tags.site = 'B7' OR NOT is_defined ( tags.x ) ) AND n IN [ 1 , 2 ]",
    "SELECT COUNT ( ) AS n FROM devices . modules WHERE STARTSWITH ( moduleId , 'e' ) AND x <> 3",
  ];
  let mutants = 0;
  for (const v of valid) {
    const words = v.split(' ');
    for (let i = 0; i < words.length; i++)
      for (const m of [
        [...words.slice(0, i), ...words.slice(i + 1)],
        [...words.slice(0, i + 1), ...words.slice(i)],
        [...words.slice(0, i), words[i + 1] ?? '', words[i]!, ...words.slice(i + 2)],
      ]) {
        mutants++;
        const q = m.join(' ');
        try {
          const p = parseQuery(q);
          if (!('error' in p) && p.where) evaluate(p.where, { tags: { site: 'B7' }, n: 1 });
        } catch (e) {
          t.fail(`threw on ${JSON.stringify(q)}: ${String(e)}`);
        }
      }
  }
  t.ok(mutants > 100, `${mutants} mutants of valid queries, none threw`);
});

t.test('evaluation: IoT Hub semantics for undefined paths and mismatched types', async (t) => {
  const doc = { deviceId: 'a-1', status: 'enabled', n: 5, b: true, z: null, tags: { site: 'B7', o: { k: 1 } } };
  t.equal(where("tags.site = 'B7'", doc), true);
  t.equal(where("tags.site != 'B7'", doc), false);
  t.equal(where("tags.site <> 'A1'", doc), true);
  t.equal(where('tags.nope = 1', doc), undefined, 'an undefined path compares as undefined');
  t.equal(where('NOT (tags.nope = 1)', doc), undefined, 'NOT undefined is not true');
  t.equal(where("tags.nope != 'x'", doc), undefined, '!= on an undefined path is not true');
  t.equal(where("n = '5'", doc), undefined, 'number vs string: no match');
  t.equal(where("n != '5'", doc), undefined, 'number vs string: not a mismatch either');
  t.equal(where('n > 4 AND n <= 5 AND n >= 5 AND n < 6', doc), true);
  t.equal(where("status > 'a'", doc), true, 'strings order');
  t.equal(where('b > false', doc), undefined, 'booleans do not order');
  t.equal(where('b = true', doc), true);
  t.equal(where('z = null', doc), true);
  t.equal(where('tags.o = 1', doc), undefined, 'objects do not compare');
  t.equal(where('tags.nope = 1 OR n = 5', doc), true, 'undefined OR true');
  t.equal(where('tags.nope = 1 AND n = 6', doc), false, 'undefined AND false');
  t.equal(where('tags.nope = 1 AND n = 5', doc), undefined, 'undefined AND true');
  t.equal(where("tags.site IN ['A1', 'B7']", doc), true);
  t.equal(where("tags.site NIN ['A1', 'B7']", doc), false);
  t.equal(where("tags.site NIN ['A1', 5]", doc), true);
  t.equal(where("tags.nope NIN ['A1']", doc), undefined, 'NIN on an undefined path is not true');
  t.equal(where('is_defined(z)', doc), true, 'null is defined');
  t.equal(where('is_defined(tags.nope)', doc), false);
  t.equal(where('NOT is_defined(tags.nope)', doc), true);
  t.equal(where("STARTSWITH(deviceId, 'a-')", doc), true);
  t.equal(where("ENDSWITH(deviceId, '-1')", doc), true);
  t.equal(where("ENDSWITH(n, '5')", doc), undefined, 'not a string');
  t.equal(where('deviceId.length = 3', doc), undefined, 'no property of a string');
});

t.test('runQuery: twins, WHERE, COUNT, modules, paging with continuation', async (t) => {
  const reg = fleet(5);
  const run = (query: string, maxItemCount?: string, continuation?: string) =>
    runQuery(reg, { body: { query }, maxItemCount, continuation });

  const all = run('SELECT * FROM devices');
  t.ok(all.ok);
  if (!all.ok) return;
  t.same(ids(all.value), ['dev-01', 'dev-02', 'dev-03', 'dev-04', 'dev-05'], 'in deviceId order');
  t.same(all.headers, { 'x-ms-item-type': 'twin' }, 'one page: no continuation');
  const first = all.value[0] as { tags: unknown; properties: unknown; etag: string };
  t.match(first, { deviceId: 'dev-01', connectionState: 'Disconnected', tags: { site: 'B7' } }, 'the twin JSON');

  const site = run("SELECT * FROM devices WHERE tags.site = 'B7' AND tags.rack.row > 1");
  t.same(site.ok && ids(site.value), ['dev-03', 'dev-05']);
  const conn = run("SELECT * FROM devices WHERE connectionState = 'Connected'");
  t.same(conn.ok && ids(conn.value), ['dev-03']);
  const fw = run("SELECT * FROM devices WHERE properties.reported.fw = '2.1.0' AND properties.reported.temp > 20");
  t.same(fw.ok && ids(fw.value), ['dev-02']);

  const count = run("SELECT COUNT() AS n FROM devices WHERE tags.site = 'A1'");
  t.same(count.ok && count.value, [{ n: 2 }]);
  t.same(count.ok && count.headers, { 'x-ms-item-type': 'raw' });
  const none = run("SELECT COUNT() AS n FROM devices WHERE tags.site = 'nowhere'");
  t.same(none.ok && none.value, [{ n: 0 }]);

  const mods = run('SELECT * FROM devices.modules');
  t.same(mods.ok && ids(mods.value), ['dev-01/agent', 'dev-01/sensor', 'dev-02/edgeAgent']);
  const mod = run("SELECT * FROM devices.modules WHERE moduleId = 'edgeAgent'");
  t.same(mod.ok && ids(mod.value), ['dev-02/edgeAgent']);
  const modCount = run("SELECT COUNT() AS m FROM devices.modules WHERE deviceId IN ['dev-01']");
  t.same(modCount.ok && modCount.value, [{ m: 2 }]);

  // pages of 2, followed to the end; a device added meanwhile after the cursor is seen, none repeats
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  do {
    const p = run('SELECT * FROM devices', '2', token);
    if (!p.ok) return t.fail(p.message);
    seen.push(...ids(p.value));
    t.ok(p.value.length <= 2);
    token = p.headers?.['x-ms-continuation'];
    if (++pages === 1) t.ok(putDevice(reg, 'dev-99', { deviceId: 'dev-99' }, undefined, NOW).ok);
  } while (token && pages < 10);
  t.same(seen, ['dev-01', 'dev-02', 'dev-03', 'dev-04', 'dev-05', 'dev-99']);
  t.equal(pages, 3);

  const wrong = run('SELECT * FROM devices', '2', 'x');
  t.match(wrong, { ok: false, status: 400, code: 'ArgumentInvalid', message: /x-ms-continuation/ });
  const first1 = run('SELECT * FROM devices', '1');
  const other = run(
    "SELECT * FROM devices WHERE status = 'enabled'",
    '1',
    first1.ok ? first1.headers?.['x-ms-continuation'] : '',
  );
  t.match(other, { ok: false, status: 400, message: /not a token this hub gave for this query/ });

  t.match(run('SELECT * FROM devices', 'ten'), { ok: false, status: 400, message: /x-ms-max-item-count/ });
  t.match(run('SELECT * FROM devices.jobs'), { ok: false, status: 400, code: 'ArgumentInvalid', errorCode: 400004 });
  t.match(runQuery(reg, { body: ['SELECT * FROM devices'] }), { ok: false, status: 400, message: /\{"query"/ });
});

t.test('page size: default and most 100', async (t) => {
  t.equal(pageSize(undefined), QUERY_PAGE_MAX);
  t.equal(pageSize('7'), 7);
  t.equal(pageSize('1000'), 100);
  t.equal(pageSize('0'), undefined);
  t.equal(pageSize('-1'), undefined);
  t.equal(pageSize('2.5'), undefined);
  const reg = new DeviceRegistry({ idScope: '0ne00000001', cas: [], devices: [], enrollments: [] }, () => NOW);
  for (let i = 0; i < 130; i++) putDevice(reg, `bulk-${i}`, { deviceId: `bulk-${i}` }, undefined, NOW);
  const p = runQuery(reg, { body: { query: 'SELECT * FROM devices' } });
  t.equal(p.ok && p.value.length, 100, 'no header: 100');
  t.ok(p.ok && p.headers?.['x-ms-continuation'], 'more remain');
});
