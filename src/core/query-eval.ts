/**
 * Runs a parsed IoT Hub query (query-parse.ts) over the registry's twins, as `POST /devices/query`
 * answers: a page of twins (`x-ms-item-type: twin`) or one COUNT row (`raw`), at most
 * `x-ms-max-item-count` items (default and most 100, IoT Hub's page size), with an opaque
 * `x-ms-continuation` token while more remain. Rows are in (deviceId, moduleId) order and a token
 * names the last row given, so devices added or removed between pages neither repeat nor shift rows.
 *
 * Conditions have IoT Hub's three values: a comparison whose operand is undefined (a path absent
 * from the twin) or whose operands differ in type is undefined, and only rows whose WHERE is true
 * are returned, so `NOT (x = 1)` does not match a twin without x. Ordering (< > <= >=) is defined for
 * two numbers or two strings; only primitives compare (not objects or arrays).
 */
import crypto from 'node:crypto';
import { moduleTwinJson } from './module-api.js';
import { parseQuery, type Cond, type Operand, type ParsedQuery, type Primitive } from './query-parse.js';
import type { DeviceRegistry } from './registry.js';
import { fail, type ServiceResult } from './service-errors.js';
import { twinJson } from './twin-api.js';

/** IoT Hub's query page size: the default, and the most one page holds. */
export const QUERY_PAGE_MAX = 100;

type Tri = boolean | undefined;
/** A row's sort key, and its twin JSON built only when the row is looked at. */
type Row = { key: string; doc: () => unknown };

function lookup(doc: unknown, path: string[]): unknown {
  let v = doc;
  for (const seg of path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, seg)) return undefined;
    v = (v as Record<string, unknown>)[seg];
  }
  return v;
}

function operand(o: Operand, doc: unknown): unknown {
  return 'value' in o ? o.value : lookup(doc, o.path);
}

/** The type a primitive compares as; undefined for undefined, objects and arrays. */
function kind(v: unknown): string | undefined {
  if (v === null) return 'null';
  const t = typeof v;
  return t === 'string' || t === 'number' || t === 'boolean' ? t : undefined;
}

function compare(cmp: string, a: unknown, b: unknown): Tri {
  const k = kind(a);
  if (k === undefined || k !== kind(b)) return undefined;
  if (cmp === '=') return a === b;
  if (cmp === '!=') return a !== b;
  if (k !== 'number' && k !== 'string') return undefined;
  const x = a as number | string;
  const y = b as number | string;
  return cmp === '<' ? x < y : cmp === '>' ? x > y : cmp === '<=' ? x <= y : x >= y;
}

function within(v: unknown, list: Primitive[]): Tri {
  if (kind(v) === undefined) return undefined;
  return list.some((x) => compare('=', v, x) === true);
}

function affix(op: 'startswith' | 'endswith', a: unknown, b: unknown): Tri {
  if (typeof a !== 'string' || typeof b !== 'string') return undefined;
  return op === 'startswith' ? a.startsWith(b) : a.endsWith(b);
}

export function evaluate(c: Cond, doc: unknown): Tri {
  switch (c.op) {
    case 'and': {
      const l = evaluate(c.l, doc);
      if (l === false) return false;
      const r = evaluate(c.r, doc);
      return r === false ? false : l === true && r === true ? true : undefined;
    }
    case 'or': {
      const l = evaluate(c.l, doc);
      if (l === true) return true;
      const r = evaluate(c.r, doc);
      return r === true ? true : l === false && r === false ? false : undefined;
    }
    case 'not': {
      const v = evaluate(c.c, doc);
      return v === undefined ? undefined : !v;
    }
    case 'cmp':
      return compare(c.cmp, operand(c.l, doc), operand(c.r, doc));
    case 'in':
    case 'nin': {
      const v = within(operand(c.l, doc), c.list);
      return v === undefined ? undefined : c.op === 'in' ? v : !v;
    }
    case 'defined':
      return lookup(doc, c.path) !== undefined;
    case 'startswith':
    case 'endswith':
      return affix(c.op, operand(c.l, doc), operand(c.r, doc));
  }
}

/** The collection's twins in (deviceId, moduleId) order; the key sorts as that pair. */
function rows(reg: DeviceRegistry, from: ParsedQuery['from']): Row[] {
  const devices = reg
    .list()
    .map((v) => reg.get(v.id)!)
    .sort((a, b) => (a.spec.id < b.spec.id ? -1 : 1));
  if (from === 'devices') return devices.map((r) => ({ key: r.spec.id, doc: () => twinJson(reg, r) }));
  return devices.flatMap((d) =>
    [...d.modules.values()]
      .sort((a, b) => (a.moduleId < b.moduleId ? -1 : 1))
      .map((m) => ({ key: `${d.spec.id}\u0000${m.moduleId}`, doc: () => moduleTwinJson(reg, m) })),
  );
}

const queryHash = (q: string) => crypto.createHash('sha256').update(q).digest('base64url').slice(0, 16);

function tokenFor(q: string, key: string): string {
  return Buffer.from(JSON.stringify({ q: queryHash(q), k: key })).toString('base64url');
}

/** The last key a token names, or undefined if the token is not one this hub gave for this query. */
function keyOf(q: string, token: string): string | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { q?: unknown; k?: unknown };
    return t.q === queryHash(q) && typeof t.k === 'string' ? t.k : undefined;
  } catch {
    return undefined;
  }
}

/** `x-ms-max-item-count`: absent → 100; a whole number ≥ 1, capped at 100 as IoT Hub does. */
export function pageSize(header: string | undefined): number | undefined {
  if (header === undefined || header === '') return QUERY_PAGE_MAX;
  return /^\d+$/.test(header.trim()) && Number(header) >= 1 ? Math.min(Number(header), QUERY_PAGE_MAX) : undefined;
}

export interface QueryRequest {
  body: unknown;
  /** The `x-ms-max-item-count` and `x-ms-continuation` request headers. */
  maxItemCount?: string | undefined;
  continuation?: string | undefined;
}

/** POST /devices/query: one page of the query's rows, with IoT Hub's paging headers. */
export function runQuery(reg: DeviceRegistry, req: QueryRequest): ServiceResult<unknown[]> {
  const body = req.body;
  const text = typeof body === 'object' && body !== null ? (body as Record<string, unknown>).query : undefined;
  const q = parseQuery(text);
  if ('error' in q) return fail('ArgumentInvalid', q.error);
  const size = pageSize(req.maxItemCount);
  if (size === undefined)
    return fail(
      'ArgumentInvalid',
      `x-ms-max-item-count must be a whole number from 1 (at most ${QUERY_PAGE_MAX} are used)`,
    );
  const after = req.continuation ? keyOf(text as string, req.continuation) : undefined;
  if (req.continuation && after === undefined)
    return fail('ArgumentInvalid', 'x-ms-continuation is not a token this hub gave for this query');
  const all = rows(reg, q.from);
  const matches = (doc: unknown) => !q.where || evaluate(q.where, doc) === true;
  if (q.select.kind === 'count') {
    const n = all.filter((r) => matches(r.doc())).length;
    return { ok: true, status: 200, value: [{ [q.select.alias]: n }], headers: { 'x-ms-item-type': 'raw' } };
  }
  // After the token's key, until one row more than the page holds: later rows are never built.
  const found: Array<{ key: string; doc: unknown }> = [];
  for (const r of all) {
    if (after !== undefined && r.key <= after) continue;
    const doc = r.doc();
    if (matches(doc)) found.push({ key: r.key, doc });
    if (found.length > size) break;
  }
  const page = found.slice(0, size);
  const more = found.length > size;
  return {
    ok: true,
    status: 200,
    value: page.map((r) => r.doc),
    headers: {
      'x-ms-item-type': 'twin',
      ...(more ? { 'x-ms-continuation': tokenFor(text as string, page[page.length - 1]!.key) } : {}),
    },
  };
}
