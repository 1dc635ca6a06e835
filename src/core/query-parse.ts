/**
 * The subset of IoT Hub's query language a test bench uses on `POST /devices/query`, parsed without
 * I/O: `SELECT * | SELECT COUNT() AS name FROM devices | devices.modules [WHERE cond]`, where cond
 * has `= != <> < > <= >=`, `IN [..]`, `NIN [..]`, `AND`, `OR`, `NOT`, parentheses, `IS_DEFINED(path)`,
 * `STARTSWITH(path, 'x')` and `ENDSWITH(path, 'x')`. Keywords are case-insensitive. Anything else is
 * refused with a message naming the position (0-based character offset) and what is supported.
 */

export type Primitive = string | number | boolean | null;
export type Operand = { path: string[] } | { value: Primitive };
export type CompareOp = '=' | '!=' | '<' | '>' | '<=' | '>=';

export type Cond =
  | { op: 'and' | 'or'; l: Cond; r: Cond }
  | { op: 'not'; c: Cond }
  | { op: 'cmp'; cmp: CompareOp; l: Operand; r: Operand }
  | { op: 'in' | 'nin'; l: Operand; list: Primitive[] }
  | { op: 'defined'; path: string[] }
  | { op: 'startswith' | 'endswith'; l: Operand; r: Operand };

export interface ParsedQuery {
  from: 'devices' | 'devices.modules';
  /** `*`, or COUNT() under an alias. */
  select: { kind: 'all' } | { kind: 'count'; alias: string };
  where?: Cond;
}

/** Longest query text read, and deepest nesting of parentheses / NOT (hubtls's bounds). */
export const MAX_QUERY_LENGTH = 8192;
export const MAX_DEPTH = 32;

export const SUPPORTED =
  'hubtls supports SELECT * or SELECT COUNT() AS name, FROM devices or devices.modules, an optional WHERE with ' +
  "= != <> < > <= >=, IN [..], NIN [..], AND, OR, NOT, parentheses, IS_DEFINED(path), STARTSWITH(path, 'x'), " +
  "ENDSWITH(path, 'x') on paths such as tags.a.b or properties.reported.x, and 'string', number, true, false, null";

type Kind = 'word' | 'string' | 'number' | 'punct' | 'end';
interface Token {
  kind: Kind;
  text: string;
  pos: number;
  value?: string | number;
}

class QueryError extends Error {}

const PUNCT = ['<=', '>=', '!=', '<>', '=', '<', '>', '(', ')', '[', ']', ',', '.', '*'];
const ESCAPES: Record<string, string> = { "'": "'", '"': '"', '\\': '\\', '/': '/', n: '\n', t: '\t' };

function refuse(pos: number, what: string): never {
  throw new QueryError(`${what} at position ${pos}`);
}

function readString(src: string, start: number): { token: Token; end: number } {
  const quote = src[start]!;
  let out = '';
  let i = start + 1;
  while (i < src.length && src[i] !== quote) {
    if (src[i] === '\\') {
      const e = src[i + 1] ?? '';
      if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
        out += String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16));
        i += 6;
        continue;
      }
      if (!(e in ESCAPES)) refuse(i, `invalid escape '\\${e}' in a string`);
      out += ESCAPES[e];
      i += 2;
      continue;
    }
    out += src[i];
    i++;
  }
  if (i >= src.length) refuse(start, 'unterminated string');
  return { token: { kind: 'string', text: src.slice(start, i + 1), pos: start, value: out }, end: i + 1 };
}

export function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    if (c === "'" || c === '"') {
      const s = readString(src, i);
      tokens.push(s.token);
      i = s.end;
      continue;
    }
    const num = /^-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)/.exec(src.slice(i));
    if (num && (c !== '-' || /[\d.]/.test(src[i + 1] ?? ''))) {
      const text = num[0];
      const neg = text.startsWith('-');
      const body = neg ? text.slice(1) : text;
      const n = body.toLowerCase().startsWith('0x') ? parseInt(body.slice(2), 16) : Number(body);
      if (!Number.isFinite(n)) refuse(i, `number ${text} out of range`);
      tokens.push({ kind: 'number', text, pos: i, value: neg ? -n : n });
      i += text.length;
      continue;
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(src.slice(i));
    if (word) {
      tokens.push({ kind: 'word', text: word[0], pos: i });
      i += word[0].length;
      continue;
    }
    const p = PUNCT.find((x) => src.startsWith(x, i));
    if (!p) refuse(i, `unexpected character '${c}'`);
    tokens.push({ kind: 'punct', text: p, pos: i });
    i += p.length;
  }
  tokens.push({ kind: 'end', text: 'end of query', pos: src.length });
  return tokens;
}

const NOT_SUPPORTED: Record<string, string> = {
  GROUP: 'GROUP BY',
  ORDER: 'ORDER BY',
  TOP: 'SELECT TOP',
  JOIN: 'JOIN',
  HAVING: 'HAVING',
  DISTINCT: 'DISTINCT',
  VALUE: 'SELECT VALUE',
};

class Parser {
  private i = 0;
  private depth = 0;
  constructor(private readonly t: Token[]) {}

  private peek(): Token {
    return this.t[this.i]!;
  }
  private next(): Token {
    const tok = this.t[this.i]!;
    if (tok.kind !== 'end') this.i++;
    return tok;
  }
  private isWord(w: string, tok = this.peek()): boolean {
    return tok.kind === 'word' && tok.text.toUpperCase() === w;
  }
  private isPunct(p: string, tok = this.peek()): boolean {
    return tok.kind === 'punct' && tok.text === p;
  }
  private fail(expected: string, tok = this.peek()): never {
    const word = tok.kind === 'word' ? NOT_SUPPORTED[tok.text.toUpperCase()] : undefined;
    if (word) refuse(tok.pos, `${word} is not supported`);
    const near = tok.kind === 'end' ? 'the end of the query' : `'${tok.text}'`;
    refuse(tok.pos, `syntax error: expected ${expected} but found ${near}`);
  }
  private word(w: string): void {
    if (!this.isWord(w)) this.fail(w);
    this.next();
  }
  private punct(p: string): void {
    if (!this.isPunct(p)) this.fail(`'${p}'`);
    this.next();
  }

  query(): ParsedQuery {
    this.word('SELECT');
    const select = this.select();
    this.word('FROM');
    const from = this.from();
    let where: Cond | undefined;
    if (this.isWord('WHERE')) {
      this.next();
      where = this.or();
    }
    if (this.peek().kind !== 'end')
      this.fail(where ? 'AND, OR or the end of the query' : 'WHERE or the end of the query');
    return { from, select, ...(where ? { where } : {}) };
  }

  private select(): ParsedQuery['select'] {
    if (this.isPunct('*')) {
      this.next();
      return { kind: 'all' };
    }
    if (!this.isWord('COUNT')) this.fail('* or COUNT() (other projections are not supported)');
    this.next();
    this.punct('(');
    this.punct(')');
    if (!this.isWord('AS')) this.fail('AS name after COUNT() (hubtls needs the alias)');
    this.next();
    const alias = this.peek();
    if (alias.kind !== 'word' || isKeyword(alias.text)) this.fail('an alias name after AS');
    this.next();
    return { kind: 'count', alias: alias.text };
  }

  private from(): ParsedQuery['from'] {
    const tok = this.peek();
    if (!this.isWord('DEVICES')) this.fail('devices or devices.modules (other collections are not supported)');
    this.next();
    if (!this.isPunct('.')) return 'devices';
    this.next();
    if (!this.isWord('MODULES'))
      this.fail(`devices.modules ('${tok.text}.${this.peek().text}' is not a collection hubtls serves)`);
    this.next();
    return 'devices.modules';
  }

  private nest<T>(f: () => T): T {
    if (++this.depth > MAX_DEPTH) refuse(this.peek().pos, `conditions nested deeper than ${MAX_DEPTH} levels`);
    const r = f();
    this.depth--;
    return r;
  }

  private or(): Cond {
    let l = this.and();
    while (this.isWord('OR')) {
      this.next();
      l = { op: 'or', l, r: this.and() };
    }
    return l;
  }

  private and(): Cond {
    let l = this.unary();
    while (this.isWord('AND')) {
      this.next();
      l = { op: 'and', l, r: this.unary() };
    }
    return l;
  }

  private unary(): Cond {
    if (this.isWord('NOT')) {
      this.next();
      return this.nest(() => ({ op: 'not', c: this.unary() }));
    }
    if (this.isPunct('(')) {
      this.next();
      const c = this.nest(() => this.or());
      this.punct(')');
      return c;
    }
    return this.predicate();
  }

  private predicate(): Cond {
    const fn = this.peek();
    if (fn.kind === 'word' && this.isPunct('(', this.t[this.i + 1])) return this.call();
    const l = this.operand();
    const op = this.peek();
    if (this.isWord('IN') || this.isWord('NIN')) {
      this.next();
      return { op: op.text.toUpperCase() === 'IN' ? 'in' : 'nin', l, list: this.list() };
    }
    if (op.kind !== 'punct' || !['=', '!=', '<>', '<', '>', '<=', '>='].includes(op.text))
      this.fail('a comparison (= != <> < > <= >=), IN or NIN');
    this.next();
    const cmp = (op.text === '<>' ? '!=' : op.text) as CompareOp;
    return { op: 'cmp', cmp, l, r: this.operand() };
  }

  private call(): Cond {
    const fn = this.next();
    const name = fn.text.toUpperCase();
    this.punct('(');
    let c: Cond;
    if (name === 'IS_DEFINED') {
      const at = this.peek();
      const o = this.operand();
      if (!('path' in o)) this.fail('a property path in IS_DEFINED()', at);
      c = { op: 'defined', path: o.path };
    } else if (['STARTSWITH', 'ENDSWITH', 'STARTS_WITH', 'ENDS_WITH'].includes(name)) {
      const l = this.operand();
      this.punct(',');
      c = { op: name.startsWith('S') ? 'startswith' : 'endswith', l, r: this.operand() };
    } else {
      refuse(fn.pos, `function ${fn.text}() is not supported`);
    }
    this.punct(')');
    return c;
  }

  private list(): Primitive[] {
    this.punct('[');
    const out: Primitive[] = [];
    if (this.isPunct(']')) this.fail('a constant in the list');
    for (;;) {
      const at = this.peek();
      const o = this.operand();
      if (!('value' in o)) this.fail('a constant (string, number, true, false, null) in the list', at);
      out.push(o.value);
      if (this.isPunct(']')) break;
      this.punct(',');
    }
    this.next();
    return out;
  }

  private operand(): Operand {
    const tok = this.peek();
    if (tok.kind === 'string' || tok.kind === 'number') {
      this.next();
      return { value: tok.value! };
    }
    if (tok.kind !== 'word' || (isKeyword(tok.text) && !LITERALS.has(tok.text.toLowerCase())))
      this.fail('a property path or a constant');
    const lower = tok.text.toLowerCase();
    if (LITERALS.has(lower) && !this.isPunct('.', this.t[this.i + 1])) {
      this.next();
      return { value: lower === 'null' ? null : lower === 'true' };
    }
    const path = [this.next().text];
    while (this.isPunct('.')) {
      this.next();
      const seg = this.peek();
      if (seg.kind !== 'word') this.fail('a property name after "."');
      path.push(this.next().text);
    }
    return { path };
  }
}

const LITERALS = new Set(['true', 'false', 'null']);
const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AND', 'OR', 'NOT', 'IN', 'NIN', 'AS', 'TRUE', 'FALSE', 'NULL']);
const isKeyword = (w: string) => KEYWORDS.has(w.toUpperCase());

/** Parses a query; a refusal is `{ error }` with the position and what is supported, never a throw. */
export function parseQuery(text: unknown): ParsedQuery | { error: string } {
  if (typeof text !== 'string' || !text.trim()) return { error: 'the body must be {"query": "<a non-empty query>"}' };
  if (text.length > MAX_QUERY_LENGTH) return { error: `the query is longer than ${MAX_QUERY_LENGTH} characters` };
  try {
    return new Parser(tokenize(text)).query();
  } catch (e) {
    if (e instanceof QueryError) return { error: `invalid query: ${e.message}. ${SUPPORTED}` };
    throw e;
  }
}
