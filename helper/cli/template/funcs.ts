// The functions a Docker template can call: text/template's builtins (and, or, not, len, index,
// slice, print, printf, println, eq, ne, lt, le, gt, ge) and Docker's own (json, split, join,
// title, lower, upper, pad, truncate: docker/cli templates/templates.go), with Go's argument
// checks and error messages; and the identity versions Docker uses to render a table's header.
import type { Arg } from './nodes';
import { sprint, sprintf, sprintln } from './printf';
import { goJson, isGoMap, isGoNil, isTrue, mapZero, printValue, typeName } from './values';

type Kind = 'any' | 'string' | 'int';

export interface Func {
  params: Kind[];
  /** The kind of any further arguments (a variadic function). */
  variadic?: Kind;
  /** Gets its arguments as thunks, evaluated as far as it needs them (and, or). */
  lazy?: boolean;
  fn: (...args: never[]) => unknown;
}

export type FuncMap = Record<string, Func>;

/** An error the executor reports where Go does: at the function's name (arity), at an argument
 *  (its type: the argument's index), or at the whole command (the function's own failure). */
export class FuncError extends Error {
  constructor(message: string, readonly at: 'name' | 'command' | number) {
    super(message);
  }
}

const f = (params: Kind[], fn: Func['fn'], variadic?: Kind): Func => ({ params, fn, variadic });

function comparable(v: unknown): 'bool' | 'int' | 'float' | 'string' | 'nil' | undefined {
  if (v === null || v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float';
  return undefined;
}

function eq(a: unknown, ...others: unknown[]): boolean {
  if (others.length === 0) throw new Error('missing argument for comparison');
  const ka = comparable(a);
  for (const b of others) {
    const kb = comparable(b);
    if (ka === undefined || kb === undefined) throw new Error(`non-comparable type ${printValue(ka === undefined ? a : b)}: ${typeName(ka === undefined ? a : b)}`);
    if (ka !== kb) {
      if (ka !== 'nil' && kb !== 'nil') throw new Error('incompatible types for comparison');
      continue;
    }
    if (a === b || ka === 'nil') return true;
  }
  return false;
}

function order(a: unknown, b: unknown): number {
  const ka = comparable(a);
  const kb = comparable(b);
  if (ka === undefined || ka === 'bool' || ka === 'nil' || kb === undefined || kb === 'bool' || kb === 'nil') throw new Error('invalid type for comparison');
  if (ka !== kb) throw new Error('incompatible types for comparison');
  return (a as number | string) < (b as number | string) ? -1 : a === b ? 0 : 1;
}

function len(v: unknown): number {
  if (typeof v === 'string') return Buffer.byteLength(v, 'utf8');
  if (Array.isArray(v)) return v.length;
  if (isGoNil(v)) return 0;
  if (isGoMap(v)) return Object.keys(v).length;
  if (v === null || v === undefined) throw new Error('len of nil pointer');
  throw new Error(`len of type ${typeName(v)}`);
}

function index(item: unknown, ...keys: unknown[]): unknown {
  let v = item;
  for (const k of keys) {
    if (v === null || v === undefined) throw new Error('index of untyped nil');
    if (Array.isArray(v) || typeof v === 'string' || (isGoNil(v) && typeName(v).startsWith('['))) {
      const length = isGoNil(v) ? 0 : (v as unknown[] | string).length;
      if (typeof k !== 'number' || !Number.isInteger(k)) throw new Error(`cannot index slice/array with type ${typeName(k)}`);
      if (k < 0 || k >= length) throw new Error(`index out of range: ${k}`);
      v = typeof v === 'string' ? Buffer.from(v, 'utf8')[k] : (v as unknown[])[k];
    } else if (isGoMap(v) || isGoNil(v)) {
      if (typeof k !== 'string') throw new Error(`value has type ${typeName(k)}; should be string`);
      v = !isGoNil(v) && Object.prototype.hasOwnProperty.call(v, k) ? v[k] : isGoNil(v) ? '' : mapZero(v);
    } else throw new Error(`can't index item of type ${typeName(v)}`);
  }
  return v;
}

function slice(item: unknown, ...bounds: unknown[]): unknown {
  if (typeof item !== 'string' && !Array.isArray(item)) throw new Error(`can't slice item of type ${typeName(item)}`);
  if (bounds.length > 2) throw new Error('too many slice indexes');
  const [from = 0, to = item.length] = bounds as number[];
  if (from < 0 || to > item.length || from > to) throw new Error(`index out of range: ${from > to ? from : to}`);
  return item.slice(from, to);
}

/** strings.Title: the first letter of each word in upper case. */
function title(s: string): string {
  let prev = ' ';
  let out = '';
  for (const ch of s) {
    out += /[\p{L}\p{N}_']/u.test(prev) ? ch : ch.toUpperCase();
    prev = ch;
  }
  return out;
}

function join(elems: unknown, sep: string): string {
  if (elems === null || elems === undefined || isGoNil(elems)) return '';
  if (Array.isArray(elems)) return elems.map((e) => (typeof e === 'string' ? e : printValue(e ?? null))).join(sep);
  if (isGoMap(elems)) return Object.values(elems).map((e) => printValue(e ?? null)).sort().join(sep);
  throw new Error(`expected slice, got ${typeName(elems)}`);
}

export const BUILTINS: FuncMap = {
  and: { params: ['any'], variadic: 'any', lazy: true, fn: ((...args: (() => unknown)[]) => {
    let v: unknown;
    for (const a of args) { v = a(); if (!isTrue(v)) return v; }
    return v;
  }) as Func['fn'] },
  or: { params: ['any'], variadic: 'any', lazy: true, fn: ((...args: (() => unknown)[]) => {
    let v: unknown;
    for (const a of args) { v = a(); if (isTrue(v)) return v; }
    return v;
  }) as Func['fn'] },
  not: f(['any'], ((v: unknown) => !isTrue(v)) as Func['fn']),
  len: f(['any'], len as Func['fn']),
  index: f(['any'], index as Func['fn'], 'any'),
  slice: f(['any'], slice as Func['fn'], 'any'),
  print: f([], ((...a: unknown[]) => sprint(a)) as Func['fn'], 'any'),
  println: f([], ((...a: unknown[]) => sprintln(a)) as Func['fn'], 'any'),
  printf: f(['string'], ((format: string, ...a: unknown[]) => sprintf(format, a)) as Func['fn'], 'any'),
  eq: f(['any'], eq as Func['fn'], 'any'),
  ne: f(['any', 'any'], ((a: unknown, b: unknown) => !eq(a, b)) as Func['fn']),
  lt: f(['any', 'any'], ((a: unknown, b: unknown) => order(a, b) < 0) as Func['fn']),
  le: f(['any', 'any'], ((a: unknown, b: unknown) => order(a, b) <= 0) as Func['fn']),
  gt: f(['any', 'any'], ((a: unknown, b: unknown) => order(a, b) > 0) as Func['fn']),
  ge: f(['any', 'any'], ((a: unknown, b: unknown) => order(a, b) >= 0) as Func['fn']),
};

export const DOCKER_FUNCS: FuncMap = {
  ...BUILTINS,
  json: f(['any'], goJson as Func['fn']),
  split: f(['string', 'string'], ((s: string, sep: string) => (sep === '' ? [...s] : s.split(sep))) as Func['fn']),
  join: f(['any', 'string'], join as Func['fn']),
  title: f(['string'], title as Func['fn']),
  lower: f(['string'], ((s: string) => s.toLowerCase()) as Func['fn']),
  upper: f(['string'], ((s: string) => s.toUpperCase()) as Func['fn']),
  pad: f(['string', 'int', 'int'], ((s: string, before: number, after: number) => (s === '' ? s : ' '.repeat(Math.max(0, before)) + s + ' '.repeat(Math.max(0, after)))) as Func['fn']),
  truncate: f(['string', 'int'], ((s: string, n: number) => {
    if (n < 0) throw new Error(`slice bounds out of range [:${n}]`);
    return Buffer.byteLength(s) < n ? s : Buffer.from(s, 'utf8').subarray(0, n).toString('utf8');
  }) as Func['fn']),
};

/** Docker's HeaderFunctions: a table's header row is the template run over the column names,
 *  with these in place of the functions that would change them (pad stays, to keep alignment). */
export const HEADER_FUNCS: FuncMap = {
  ...DOCKER_FUNCS,
  json: f(['string'], ((v: string) => v) as Func['fn']),
  split: f(['string', 'string'], ((v: string) => v) as Func['fn']),
  join: f(['string', 'string'], ((v: string) => v) as Func['fn']),
  title: f(['string'], ((v: string) => v) as Func['fn']),
  lower: f(['string'], ((v: string) => v) as Func['fn']),
  upper: f(['string'], ((v: string) => v) as Func['fn']),
  truncate: f(['string', 'int'], ((v: string) => v) as Func['fn']),
};

/** Calls fn with its arguments checked as Go checks them; errors are Go's words. */
export function callFunc(name: string, fn: Func, thunks: (() => unknown)[], nodes: Arg[]): unknown {
  const want = fn.params.length;
  if (fn.variadic ? thunks.length < want : thunks.length !== want) {
    throw new FuncError(`wrong number of args for ${name}: want ${fn.variadic ? 'at least ' : ''}${want} got ${thunks.length}`, 'name');
  }
  if (fn.lazy) return wrap(name, () => fn.fn(...(thunks as never[])));
  const args = thunks.map((thunk, i) => {
    const value = thunk();
    try {
      return checkArg(fn.params[i] ?? fn.variadic!, value, nodes[i]);
    } catch (err) {
      throw new FuncError((err as Error).message, nodes[i] ? i : 'command');
    }
  });
  return wrap(name, () => fn.fn(...(args as never[])));
}

function wrap(name: string, call: () => unknown): unknown {
  try {
    return call();
  } catch (err) {
    // The function's own failure is reported as Go does; a template error met while evaluating
    // an argument of and/or (a subclass) passes as it is.
    if (!(err instanceof Error) || err.constructor !== Error) throw err;
    throw new FuncError(`error calling ${name}: ${(err as Error).message}`, 'command');
  }
}

function checkArg(kind: Kind, value: unknown, node: Arg | undefined): unknown {
  if (kind === 'any') return value === undefined ? null : value;
  const literal = node && ['number', 'string', 'bool', 'nil'].includes(node.type) ? node : undefined;
  const want = kind === 'int' ? 'integer' : 'string';
  if (literal) {
    const ok = kind === 'string' ? literal.type === 'string' : literal.type === 'number' && literal.isInt;
    if (!ok) throw new Error(`expected ${want}; found ${literal.type === 'string' ? literal.quoted : literal.type === 'number' ? literal.text : literal.type === 'bool' ? String(literal.value) : 'nil'}`);
    return value;
  }
  if (value === undefined) throw new Error(`invalid value; expected ${kind}`);
  const ok = kind === 'string' ? typeof value === 'string' : typeof value === 'number' && Number.isInteger(value);
  if (!ok) throw new Error(`wrong type for value; expected ${kind}; got ${typeName(value)}`);
  return value;
}
