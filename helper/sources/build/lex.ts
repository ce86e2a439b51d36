// Docker's word rules for Dockerfile arguments (moby/buildkit frontend/dockerfile/shell/lex.go and
// parser/line_parsers.go): how ENV, ARG, LABEL, COPY, WORKDIR, USER, ... see quotes, the escape
// character and $VAR / ${VAR} / ${VAR:-word} / ${VAR:+word}. RUN, CMD and ENTRYPOINT are not
// expanded here: their shell does it, inside the container.

export class WordError extends Error {}

/** Variables visible at a point of the build: the stage's ENV over its ARGs in scope. */
export type Vars = Map<string, string>;

/**
 * One word as Docker's ProcessWord makes it: quotes removed, escapes applied, variables expanded.
 * Single quotes keep everything literal; inside double quotes the escape character only escapes
 * `"`, `$` and itself.
 */
export function processWord(word: string, vars: Vars, escape = '\\'): string {
  let out = '';
  let i = 0;
  const dollar = (): void => {
    const r = expandDollar(word, i, vars, escape);
    out += r.text;
    i = r.next;
  };
  while (i < word.length) {
    const ch = word[i];
    if (ch === escape) {
      i++;
      if (i < word.length) out += word[i++];
    } else if (ch === '$') {
      dollar();
    } else if (ch === "'") {
      const end = word.indexOf("'", i + 1);
      if (end < 0) throw new WordError(`unexpected end of statement while looking for matching single-quote in ${JSON.stringify(word)}`);
      out += word.slice(i + 1, end);
      i = end + 1;
    } else if (ch === '"') {
      i++;
      for (;;) {
        if (i >= word.length) throw new WordError(`unexpected end of statement while looking for matching double-quote in ${JSON.stringify(word)}`);
        const c = word[i];
        if (c === '"') { i++; break; }
        if (c === '$') { dollar(); continue; }
        if (c === escape && i + 1 < word.length && ['"', '$', escape].includes(word[i + 1])) { out += word[i + 1]; i += 2; continue; }
        out += c;
        i++;
      }
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

const NAME_START = /[A-Za-z_]/;
const NAME_CHAR = /[A-Za-z0-9_]/;

/** `$...` at word[i]: the text it stands for and where the word goes on. */
function expandDollar(word: string, i: number, vars: Vars, escape: string): { text: string; next: number } {
  const c = word[i + 1];
  if (c === undefined) return { text: '$', next: i + 1 };
  if (c !== '{') {
    if (/[0-9]/.test(c)) return { text: vars.get(c) ?? '', next: i + 2 };
    if (!NAME_START.test(c)) return { text: '$', next: i + 1 };
    let j = i + 1;
    while (j < word.length && NAME_CHAR.test(word[j])) j++;
    return { text: vars.get(word.slice(i + 1, j)) ?? '', next: j };
  }
  let j = i + 2;
  while (j < word.length && NAME_CHAR.test(word[j])) j++;
  const name = word.slice(i + 2, j);
  if (!name) throw new WordError(`bad substitution in ${JSON.stringify(word)}`);
  if (word[j] === '}') return { text: vars.get(name) ?? '', next: j + 1 };
  // ${name:-word} ${name-word} ${name:+word} ${name+word} ${name:?msg} ${name?msg}
  const colon = word[j] === ':';
  const op = word[colon ? j + 1 : j];
  if (!op || !'-+?'.includes(op)) throw new WordError(`unsupported modifier (${word[j] ?? 'end'}) in substitution of ${JSON.stringify(word)}`);
  let k = colon ? j + 2 : j + 1;
  let depth = 0;
  const start = k;
  for (; k < word.length; k++) {
    if (word[k] === escape) { k++; continue; }
    if (word[k] === '{') depth++;
    if (word[k] === '}') { if (depth === 0) break; depth--; }
  }
  if (k >= word.length) throw new WordError(`missing '}' in ${JSON.stringify(word)}`);
  const inner = processWord(word.slice(start, k), vars, escape);
  const value = vars.get(name);
  const set = colon ? value !== undefined && value !== '' : value !== undefined;
  let text: string;
  if (op === '-') text = set ? value! : inner;
  else if (op === '+') text = set ? inner : '';
  else {
    if (!set) throw new WordError(`${name}: ${inner || 'is not allowed to be unset'}`);
    text = value!;
  }
  return { text, next: k + 1 };
}

/**
 * The whitespace-separated words of an argument string, quotes and escapes kept in each word
 * (Docker's parseWords): `a "b c" d\ e` is three words.
 */
export function splitWords(text: string, escape = '\\'): string[] {
  const words: string[] = [];
  let word = '';
  let quote = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (!quote && /\s/.test(ch)) {
      if (inWord) { words.push(word); word = ''; inWord = false; }
      continue;
    }
    inWord = true;
    if (ch === escape && i + 1 < text.length && quote !== "'") {
      word += ch + text[++i];
      continue;
    }
    if (quote && ch === quote) quote = '';
    else if (!quote && (ch === '"' || ch === "'")) quote = ch;
    word += ch;
  }
  if (inWord) words.push(word);
  return words;
}

/**
 * KEY=VALUE pairs as ENV, LABEL and ARG take them (parseNameVal): the values still raw (quoted,
 * unexpanded). The old form `ENV KEY rest of the line` is one pair; `ARG NAME` has no value.
 */
export function nameValues(text: string, keyword: string, escape = '\\'): { key: string; value: string | null }[] {
  const words = splitWords(text, escape);
  if (words.length === 0) throw new WordError(`${keyword} requires at least one argument`);
  if (!words[0].includes('=')) {
    if (keyword === 'ARG') {
      if (words.length > 1) throw new WordError('ARG requires exactly one argument');
      return [{ key: words[0], value: null }];
    }
    const m = /^\s*\S+\s+(.*\S)\s*$/s.exec(text);
    if (!m) throw new WordError(`${keyword} ${words[0]} needs a value (${keyword} KEY=VALUE, or ${keyword} KEY VALUE)`);
    return [{ key: words[0], value: m[1] }];
  }
  return words.map((w) => {
    const eq = w.indexOf('=');
    if (eq <= 0) throw new WordError(`${keyword} names must be KEY=VALUE pairs: ${JSON.stringify(w)} is not`);
    return { key: w.slice(0, eq), value: w.slice(eq + 1) };
  });
}

/** The argv of an exec-form (JSON) argument string, or null when it is not a JSON array of strings. */
export function jsonArgs(text: string): string[] | null {
  const t = text.trim();
  if (!t.startsWith('[')) return null;
  try {
    const v: unknown = JSON.parse(t);
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : null;
  } catch {
    return null; // Docker too takes malformed JSON as the shell form
  }
}
