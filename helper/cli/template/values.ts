// How Go's text/template sees the JavaScript values it is given, so that a Docker user's template
// prints what it prints under Docker: a plain object is a Go struct ({a b}), an object marked with
// goMap() is a Go map (map[k:v], sorted), an array is a slice ([a b]), a whole number is an int.
// Go has typed nils that JSON cannot tell apart: a nil slice prints [] and a nil map map[], while
// both encode as null; nilSlice and nilMap stand for them (and encode as null).

const MAP = Symbol('go map');
const NIL = Symbol('go typed nil');
const TYPE = Symbol('go type name');
const HTML_ESCAPED = Symbol('go json html escaped');

export interface GoNil { readonly [NIL]: 'slice' | 'map'; toJSON(): null }

function typedNil(kind: 'slice' | 'map'): GoNil {
  return Object.freeze({ [NIL]: kind, toJSON: () => null });
}

/** A nil []T: prints [], has length 0, encodes as null. */
export const nilSlice: GoNil = typedNil('slice');
/** A nil map[K]V: prints map[], has length 0, encodes as null. */
export const nilMap: GoNil = typedNil('map');

export function isGoNil(v: unknown): v is GoNil {
  return typeof v === 'object' && v !== null && NIL in v;
}

/** Marks obj as a Go map (its keys are data, not fields); zero is what a missing key reads as in index. */
export function goMap<T extends object>(obj: T, zero: unknown = undefined): T {
  Object.defineProperty(obj, MAP, { value: { zero }, enumerable: false });
  return obj;
}

export function isGoMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && MAP in v;
}

export function mapZero(v: Record<string, unknown>): unknown {
  return (v as unknown as Record<typeof MAP, { zero: unknown }>)[MAP].zero;
}

/**
 * Names the Go type of a struct for error messages ("can't evaluate field X in type *T"); with
 * htmlEscapedJson its json is HTML-escaped, as Docker's list contexts (MarshalJSON) give it.
 */
export function goStruct<T extends object>(obj: T, typeName: string, htmlEscapedJson = false): T {
  Object.defineProperty(obj, TYPE, { value: typeName, enumerable: false });
  if (htmlEscapedJson) Object.defineProperty(obj, HTML_ESCAPED, { value: true, enumerable: false });
  return obj;
}

export function jsonEscapesHtml(v: unknown): boolean {
  return typeof v === 'object' && v !== null && HTML_ESCAPED in v;
}

export function isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !isGoMap(v) && !isGoNil(v);
}

/** Go's name for the type of v, as its error messages print it. */
export function typeName(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'number') return Number.isInteger(v) ? 'int' : 'float64';
  if (typeof v === 'function') return 'func';
  if (Array.isArray(v)) return '[]interface {}';
  if (isGoNil(v)) return v[NIL] === 'slice' ? '[]string' : 'map[string]string';
  if (isGoMap(v)) return 'map[string]interface {}';
  return (v as Record<typeof TYPE, string | undefined>)[TYPE] ?? 'struct';
}

/** Go's %v of a float64: the shortest form, with an exponent below 1e-4 and from 1e21 up. */
export function formatNumber(n: number): string {
  if (Number.isInteger(n) && Math.abs(n) < 1e21) return String(n);
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp < -4 || exp >= 21) return goExponent(n.toExponential());
  return String(n);
}

/** JavaScript's 1.5e+7 as Go writes it: 1.5e+07. */
export function goExponent(text: string): string {
  return text.replace(/e([+-])(\d)$/, 'e$10$2');
}

/** fmt's %v: what {{.Field}} prints. */
export function printValue(v: unknown): string {
  if (v === undefined) return '<no value>';
  return formatV(v);
}

function formatV(v: unknown): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return formatNumber(v);
  if (typeof v === 'boolean') return String(v);
  if (typeof v === 'function') return '0x0';
  if (Array.isArray(v)) return `[${v.map((e) => formatV(e)).join(' ')}]`;
  if (isGoNil(v)) return v[NIL] === 'slice' ? '[]' : 'map[]';
  if (isGoMap(v)) return `map[${Object.keys(v).sort().map((k) => `${k}:${formatV(v[k])}`).join(' ')}]`;
  return `{${Object.values(v as object).map((e) => formatV(e)).join(' ')}}`;
}

/** text/template's truth: false, 0, nil, and empty strings, slices and maps are false; structs are true. */
export function isTrue(v: unknown): boolean {
  if (v === undefined || v === null || v === false || v === 0 || v === '') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (isGoNil(v)) return false;
  if (isGoMap(v)) return Object.keys(v).length > 0;
  return true;
}

/** Go's encoding/json as Docker's json function uses it; a list context's MarshalJSON escapes <, > and &. */
export function goJson(v: unknown): string {
  const text = JSON.stringify(v === undefined ? null : v)
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
  return jsonEscapesHtml(v) ? escapeHtml(text) : text;
}

/** json.Marshal's HTML escaping (what the daemon's raw inspect JSON has too). */
export function escapeHtml(jsonText: string): string {
  return jsonText.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}
