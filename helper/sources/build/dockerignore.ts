// .dockerignore, by Docker's rules (moby/patternmatcher, as the docker CLI applies it before it
// sends the context): one pattern a line, `#` comments, a leading `!` makes an exception, patterns
// are cleaned (filepath.Clean, a leading / dropped), `*` and `?` stay within a path component,
// `**` spans any number of them, and the LAST pattern that matches a path (or one of its parent
// directories) decides. Pure: the CLI and VS Code both pack a context with it.
import { posix } from 'node:path';

interface Pattern { exclusion: boolean; regexp: RegExp; cleaned: string }

export function parseDockerignore(text: string): string[] {
  const out: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    let line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const invert = line.startsWith('!');
    if (invert) line = line.slice(1).trim();
    if (line.length > 0) {
      line = posix.normalize(line).replace(/\/+$/, '') || '/';
      if (line.length > 1 && line.startsWith('/')) line = line.slice(1);
    }
    out.push(invert ? `!${line}` : line);
  }
  return out;
}

/** patternmatcher's compile: the pattern as an anchored RegExp over '/'-separated paths. */
function compile(pattern: string): RegExp {
  let re = '^';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '*') {
      if (pattern[i + 1] === '*') {
        i++;
        if (pattern[i + 1] === '/') i++;
        re += i + 1 >= pattern.length ? '.*' : '(.*/)?';
      } else re += '[^/]*';
    } else if (ch === '?') re += '[^/]';
    else if (ch === '\\') re += i + 1 < pattern.length ? `\\${pattern[++i]}` : '\\\\';
    else if (ch === '[' || ch === ']') re += ch;
    else re += ch.replace(/[.$^+(){}|]/g, '\\$&');
  }
  return new RegExp(`${re}$`, 's');
}

export class PatternMatcher {
  private readonly patterns: Pattern[];

  constructor(lines: string[]) {
    this.patterns = lines.map((l) => {
      const exclusion = l.startsWith('!');
      const cleaned = exclusion ? l.slice(1) : l;
      return { exclusion, cleaned, regexp: compile(cleaned) };
    });
  }

  get hasExceptions(): boolean {
    return this.patterns.some((p) => p.exclusion);
  }

  /** Whether `file` (relative, '/'-separated) is excluded: the last pattern matching it or a parent decides. */
  excludes(file: string): boolean {
    let matched = false;
    const parent = posix.dirname(file);
    const parents = parent === '.' ? [] : parent.split('/');
    for (const p of this.patterns) {
      // An exception cannot un-match what is not matched, nor a pattern re-match what is.
      if (p.exclusion !== matched) continue;
      let match = p.regexp.test(file);
      for (let i = 0; !match && i < parents.length; i++) match = p.regexp.test(parents.slice(0, i + 1).join('/'));
      if (match) matched = !p.exclusion;
    }
    return matched;
  }

  /**
   * Whether a walk may skip the excluded directory `dir` whole: only when no exception could
   * re-include something below it (patternmatcher's check on the exceptions' leading components).
   */
  canSkipDir(dir: string): boolean {
    for (const p of this.patterns) {
      if (!p.exclusion) continue;
      if (p.cleaned.startsWith(`${dir}/`) || /[*?[\\]/.test(p.cleaned)) return false;
    }
    return true;
  }
}
