// Go's fmt for templates: print, println and printf (%v %s %d %q %t %x %X %o %b %c %f %e %g %%,
// with flags, width and precision), and strconv.Quote, which docker ps uses for COMMAND.
import { formatNumber, goExponent, isGoMap, isGoNil, isStruct, printValue, typeName } from './values';

/** fmt's %v of one operand (a nil is <nil>). */
export function sprintValue(v: unknown): string {
  return printValue(v === undefined ? null : v);
}

/** fmt.Sprint: spaces between operands when neither is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  args.forEach((a, i) => {
    if (i > 0 && typeof a !== 'string' && typeof args[i - 1] !== 'string') out += ' ';
    out += sprintValue(a);
  });
  return out;
}

/** fmt.Sprintln: spaces between all operands, and a newline. */
export function sprintln(args: unknown[]): string {
  return `${args.map(sprintValue).join(' ')}\n`;
}

/** strconv.Quote: a Go string literal; control and non-printable characters escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch in SHORT) out += SHORT[ch];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp >= 0x80 && !/[\p{L}\p{M}\p{N}\p{P}\p{S}]/u.test(ch)) out += cp < 0x10000 ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

const SHORT: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

interface Spec { minus: boolean; plus: boolean; zero: boolean; space: boolean; sharp: boolean; width?: number; precision?: number }

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let n = 0;
  for (let i = 0; i < format.length; i++) {
    if (format[i] !== '%') { out += format[i]; continue; }
    const spec: Spec = { minus: false, plus: false, zero: false, space: false, sharp: false };
    for (i++; i < format.length && '+-# 0'.includes(format[i]); i++) {
      const f = format[i];
      if (f === '-') spec.minus = true; else if (f === '+') spec.plus = true; else if (f === '0') spec.zero = true;
      else if (f === ' ') spec.space = true; else spec.sharp = true;
    }
    const width = /^\d+/.exec(format.slice(i));
    if (width) { spec.width = Number(width[0]); i += width[0].length; }
    if (format[i] === '.') {
      const p = /^\d*/.exec(format.slice(i + 1))![0];
      spec.precision = Number(p || 0);
      i += 1 + p.length;
    }
    const verb = format[i];
    if (verb === undefined) { out += '%!(NOVERB)'; break; }
    if (verb === '%') { out += '%'; continue; }
    if (n >= args.length) { out += `%!${verb}(MISSING)`; continue; }
    out += pad(formatOne(verb, args[n++], spec), spec);
  }
  if (n < args.length) out += `%!(EXTRA ${args.slice(n).map((a) => `${typeName(a ?? null)}=${sprintValue(a)}`).join(', ')})`;
  return out;
}

function pad(text: string, spec: Spec): string {
  if (spec.width === undefined || [...text].length >= spec.width) return text;
  const fill = spec.width - [...text].length;
  if (spec.minus) return text + ' '.repeat(fill);
  if (spec.zero && /^[+-]?[0-9.]/.test(text)) {
    const sign = /^[+-]/.test(text) ? text[0] : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function bad(verb: string, v: unknown): string {
  return v === null || v === undefined ? `%!${verb}(<nil>)` : `%!${verb}(${typeName(v)}=${sprintValue(v)})`;
}

function sign(n: number, spec: Spec, text: string): string {
  return n >= 0 && spec.plus ? `+${text}` : n >= 0 && spec.space ? ` ${text}` : text;
}

function formatOne(verb: string, v: unknown, spec: Spec): string {
  const isInt = typeof v === 'number' && Number.isInteger(v);
  switch (verb) {
    case 'v':
      if (spec.plus && isStruct(v)) return `{${Object.entries(v).map(([k, e]) => `${k}:${sprintValue(e)}`).join(' ')}}`;
      return sprintValue(v);
    case 's': {
      if (typeof v === 'string') return spec.precision === undefined ? v : [...v].slice(0, spec.precision).join('');
      if (Array.isArray(v) || isGoMap(v) || isGoNil(v) || isStruct(v)) return sprintValue(v);
      return bad(verb, v);
    }
    case 'q':
      if (typeof v === 'string') return goQuote(v);
      if (isInt) return `'${String.fromCodePoint(v as number)}'`;
      return bad(verb, v);
    case 'd': return isInt ? sign(v as number, spec, String(v)) : bad(verb, v);
    case 't': return typeof v === 'boolean' ? String(v) : bad(verb, v);
    case 'x': case 'X': {
      let text: string;
      if (isInt) text = (v as number).toString(16);
      else if (typeof v === 'string') text = Buffer.from(v, 'utf8').toString('hex');
      else return bad(verb, v);
      if (spec.sharp) text = `0x${text}`;
      return verb === 'X' ? text.toUpperCase() : text;
    }
    case 'o': return isInt ? (v as number).toString(8) : bad(verb, v);
    case 'b': return isInt ? (v as number).toString(2) : bad(verb, v);
    case 'c': return isInt ? String.fromCodePoint(v as number) : bad(verb, v);
    case 'f': case 'F': case 'e': case 'E': case 'g': case 'G': {
      if (typeof v !== 'number' || isInt) return bad(verb, v);
      const p = spec.precision;
      const lower = verb.toLowerCase();
      const text = lower === 'f' ? v.toFixed(p ?? 6) : lower === 'e' ? goExponent(v.toExponential(p ?? 6)) : p === undefined ? formatNumber(v) : goExponent(Number(v.toPrecision(p || 1)).toString());
      return sign(v, spec, verb === lower ? text : text.toUpperCase());
    }
    default: return bad(verb, v);
  }
}
