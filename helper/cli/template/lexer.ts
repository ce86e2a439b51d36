// The lexer of Go's text/template (text/template/parse/lex.go), for the part of the language
// Docker's --format templates use: text and {{actions}}, the {{- -}} trim markers, comments,
// fields, variables, strings, numbers, pipes, parentheses and the control keywords.

export type TokenType =
  | 'text' | 'left' | 'right' | 'space' | 'field' | 'identifier' | 'variable' | 'string' | 'rawString'
  | 'char' | 'number' | 'bool' | 'nil' | 'dot' | 'pipe' | 'leftParen' | 'rightParen' | 'declare'
  | 'assign' | 'comma' | 'keyword' | 'eof';

export interface Token {
  type: TokenType;
  val: string;
  pos: number; // offset in the template
  line: number;
}

export class TemplateSyntaxError extends Error {}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'break', 'continue', 'template', 'define', 'block']);
const SPACE = /[ \t\r\n]/;
const ALNUM = /[\p{L}\p{Nd}_]/u;

/** Go's "template: NAME:LINE: message", Docker's templates being unnamed. */
export function syntaxError(line: number, message: string): TemplateSyntaxError {
  return new TemplateSyntaxError(`template: :${line}: ${message}`);
}

/** The line of an offset, as Go's errors count them. */
export function lineAt(input: string, pos: number): number {
  let line = 1;
  for (let i = 0; i < pos && i < input.length; i++) if (input[i] === '\n') line++;
  return line;
}

export function lex(input: string): Token[] {
  const tokens: Token[] = [];
  const push = (type: TokenType, start: number, end: number, val = input.slice(start, end)) =>
    tokens.push({ type, val, pos: start, line: lineAt(input, start) });
  let pos = 0;
  while (pos < input.length) {
    const open = input.indexOf('{{', pos);
    const textEnd = open < 0 ? input.length : open;
    const trimLeft = open >= 0 && input[open + 2] === '-' && SPACE.test(input[open + 3] ?? '');
    let text = input.slice(pos, textEnd);
    if (trimLeft) text = text.replace(/[ \t\r\n]+$/, '');
    if (text) push('text', pos, pos + text.length, text);
    if (open < 0) break;
    pos = lexAction(input, open, trimLeft, push);
  }
  push('eof', input.length, input.length);
  return tokens;
}

type Push = (type: TokenType, start: number, end: number, val?: string) => void;

/** One {{...}} from its opening braces; returns where the text after it starts. */
function lexAction(input: string, open: number, trimLeft: boolean, push: Push): number {
  const fail = (at: number, message: string) => syntaxError(lineAt(input, at), message);
  let pos = open + 2 + (trimLeft ? 2 : 0);
  // A comment fills the whole action: {{/* ... */}}, trim markers allowed.
  if (input.startsWith('/*', pos)) {
    const end = input.indexOf('*/', pos + 2);
    if (end < 0) throw fail(input.length, 'unclosed comment');
    let after = end + 2;
    const trimRight = SPACE.test(input[after] ?? '') && input.startsWith('-}}', after + 1);
    if (trimRight) after += 2;
    if (!input.startsWith('}}', after)) throw fail(after, 'comment ends before closing delimiter');
    return skipSpace(input, after + 2, trimRight);
  }
  push('left', open, open + 2);
  let depth = 0;
  for (;;) {
    if (pos >= input.length) throw fail(pos, 'unclosed action');
    const c = input[pos];
    const trimRight = SPACE.test(c) && input.startsWith('-}}', pos + 1);
    if (trimRight || input.startsWith('}}', pos)) {
      if (depth > 0) throw fail(pos, 'unclosed left paren');
      if (trimRight) pos += 2;
      push('right', pos, pos + 2);
      return skipSpace(input, pos + 2, trimRight);
    }
    const start = pos;
    if (SPACE.test(c)) {
      while (pos < input.length && SPACE.test(input[pos]) && !input.startsWith('-}}', pos + 1)) pos++;
      if (pos === start) pos++;
      push('space', start, pos);
    } else if (c === '=') { pos++; push('assign', start, pos); }
    else if (c === ':') {
      if (input[pos + 1] !== '=') throw fail(pos, 'expected :=');
      pos += 2; push('declare', start, pos);
    } else if (c === '|') { pos++; push('pipe', start, pos); }
    else if (c === ',') { pos++; push('comma', start, pos); }
    else if (c === '(') { pos++; depth++; push('leftParen', start, pos); }
    else if (c === ')') {
      if (--depth < 0) throw fail(pos, 'unexpected right paren');
      pos++; push('rightParen', start, pos);
    } else if (c === '"' || c === "'") { pos = quoted(input, pos, c); push(c === '"' ? 'string' : 'char', start, pos); }
    else if (c === '`') {
      const end = input.indexOf('`', pos + 1);
      if (end < 0) throw fail(pos, 'unterminated raw quoted string');
      pos = end + 1; push('rawString', start, pos);
    } else if (c === '$') { pos = word(input, pos + 1); push('variable', start, pos); }
    else if (c === '.' && !/[0-9]/.test(input[pos + 1] ?? '')) {
      pos = word(input, pos + 1);
      push(pos === start + 1 ? 'dot' : 'field', start, pos);
    } else if (/[0-9+\-.]/.test(c)) { pos = number(input, pos); push('number', start, pos); }
    else if (ALNUM.test(c)) {
      pos = word(input, pos);
      const w = input.slice(start, pos);
      push(KEYWORDS.has(w) ? 'keyword' : w === 'true' || w === 'false' ? 'bool' : w === 'nil' ? 'nil' : 'identifier', start, pos);
    } else {
      const cp = c.codePointAt(0)!;
      throw fail(pos, `bad character U+${cp.toString(16).toUpperCase().padStart(4, '0')} '${c}'`);
    }
  }
}

function skipSpace(input: string, pos: number, trim: boolean): number {
  if (trim) while (pos < input.length && SPACE.test(input[pos])) pos++;
  return pos;
}

function word(input: string, pos: number): number {
  while (pos < input.length && ALNUM.test(input[pos])) pos++;
  return pos;
}

function quoted(input: string, pos: number, quote: string): number {
  for (let p = pos + 1; p < input.length; p++) {
    if (input[p] === '\\') { p++; continue; }
    if (input[p] === '\n') break;
    if (input[p] === quote) return p + 1;
  }
  throw syntaxError(lineAt(input, pos), quote === '"' ? 'unterminated quoted string' : 'unterminated character constant');
}

function number(input: string, pos: number): number {
  const m = /^[+-]?(0[xX][0-9a-fA-F_]+|0[bB][01_]+|0[oO][0-7_]+|(\d[\d_]*)?\.?\d*([eE][+-]?\d+)?)/.exec(input.slice(pos));
  const end = pos + (m ? m[0].length : 0);
  if (!m || m[0] === '' || /^[+-]?\.?$/.test(m[0]) || ALNUM.test(input[end] ?? '')) {
    throw syntaxError(lineAt(input, pos), `bad number syntax: "${input.slice(pos, word(input, end) + (end === pos ? 1 : 0))}"`);
  }
  return end;
}
