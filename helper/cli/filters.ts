// --filter KEY=VALUE for ps and images, as Docker's: the values of one key are alternatives, and
// different keys must all match. (Applied to the helper's list here; the lists are small.)
import type { ContainerSummary, ImageSummary } from '../protocol/types';
import { UsageError } from './args';
import { CommandError } from './command';

export type Filters = Map<string, string[]>;

/** Parses --filter values; a key the command does not know is refused with the daemon's words. */
export function parseFilters(values: string[], keys: readonly string[]): Filters {
  const filters: Filters = new Map();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`invalid argument "${v}" for "-f, --filter" flag: bad format of filter (expected name=value)`);
    const key = v.slice(0, eq).toLowerCase();
    if (!keys.includes(key)) throw new CommandError(`Error response from daemon: Invalid filter '${key}'`);
    const value = v.slice(eq + 1);
    if (key === 'status' && !CONTAINER_STATES.includes(value)) throw new CommandError(`Error response from daemon: Invalid filter 'status=${value}'`);
    filters.set(key, [...(filters.get(key) ?? []), value]);
  }
  return filters;
}

const matchesAll = (filters: Filters, test: (key: string, value: string) => boolean) =>
  [...filters].every(([key, values]) => values.some((value) => test(key, value)));

export const CONTAINER_FILTERS = ['id', 'name', 'status', 'ancestor', 'exited', 'label'] as const;
/** The states --filter status= takes (Docker's; Strata's containers are never in the last three). */
const CONTAINER_STATES = ['created', 'restarting', 'running', 'removing', 'paused', 'exited', 'dead'];

/** name: a regular expression over the name, as Docker's (an invalid one matches nothing). */
function nameMatches(name: string, pattern: string): boolean {
  try {
    // Docker matches against "/NAME": ^NAME and ^/NAME both anchor at the name.
    const re = new RegExp(pattern, 'u');
    return re.test(name) || re.test(`/${name}`);
  } catch {
    return false;
  }
}

/** status: created, running, paused or exited; name: a regular expression over the name; id: an id prefix; ancestor: the image (name or id); exited: the exit code. */
export function containerMatches(c: ContainerSummary, filters: Filters): boolean {
  const status = c.status === 'running' && c.paused ? 'paused' : c.status;
  return matchesAll(filters, (key, value) => {
    switch (key) {
      case 'id': return c.id.startsWith(value);
      case 'name': return nameMatches(c.name, value);
      case 'status': return status === value;
      case 'ancestor': return c.image === value || c.image === `${value}:latest` || c.imageId.replace(/^sha256:/, '').startsWith(value.replace(/^sha256:/, ''));
      case 'exited': return c.status === 'exited' && String(c.exitCode) === value;
      // label=KEY (has it) or label=KEY=VALUE; its own --label values
      case 'label': {
        const eq = value.indexOf('=');
        const key = eq < 0 ? value : value.slice(0, eq);
        return c.labels !== undefined && Object.hasOwn(c.labels, key) && (eq < 0 || c.labels[key] === value.slice(eq + 1));
      }
      default: return false;
    }
  });
}

export const IMAGE_FILTERS = ['dangling', 'reference'] as const;

/**
 * Go's path.Match: * is any run of characters but '/', ? one such character, [...] a class
 * ([^...] negated, a-z ranges), \ escapes. Docker matches image references with it.
 */
export function pathMatch(pattern: string, name: string): boolean {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escapeRe(pattern[++i]);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) return false; // Go: ErrBadPattern, which Docker reports as no match
      let body = pattern.slice(i + 1, end);
      const negated = body.startsWith('^');
      if (negated) body = body.slice(1);
      re += `[${negated ? '^/' : ''}${body.replace(/[\]\\]/g, '\\$&')}]`;
      i = end;
    } else re += escapeRe(c);
  }
  return new RegExp(`^${re}$`, 'su').test(name);
}

const escapeRe = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * The names of an image that its filters let through (Docker lists only the matching names), or
 * undefined when the image is filtered out. reference: a glob over NAME:TAG or NAME (docker
 * images REPO[:TAG] is the same filter); dangling=true: untagged images (false: tagged ones).
 */
export function imageNamesMatching(i: ImageSummary, filters: Filters): string[] | undefined {
  const dangling = filters.get('dangling');
  if (dangling && !dangling.some((v) => (i.repoTags.length === 0) === (v === 'true' || v === '1'))) return undefined;
  const patterns = filters.get('reference');
  if (!patterns) return i.repoTags;
  const names = i.repoTags.filter((t) => patterns.some((p) => pathMatch(p, t) || pathMatch(p, t.slice(0, t.lastIndexOf(':')))));
  return names.length ? names : undefined;
}
