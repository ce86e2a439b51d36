// --filter KEY=VALUE for ps and images, as Docker's: the values of one key are alternatives, and
// different keys must all match. (Applied to the helper's list here; the lists are small.)
import type { ContainerSummary, ImageSummary } from '../protocol/types';
import { UsageError } from './args';

export type Filters = Map<string, string[]>;

export function parseFilters(values: string[], keys: readonly string[], command: string): Filters {
  const filters: Filters = new Map();
  for (const v of values) {
    const eq = v.indexOf('=');
    if (eq <= 0) throw new UsageError(`bad format of filter (expected name=value): ${v}`);
    const key = v.slice(0, eq).toLowerCase();
    if (!keys.includes(key)) throw new UsageError(`invalid filter '${key}': ${command} filters by ${keys.join(', ')}`);
    filters.set(key, [...(filters.get(key) ?? []), v.slice(eq + 1)]);
  }
  return filters;
}

const matchesAll = (filters: Filters, test: (key: string, value: string) => boolean) =>
  [...filters].every(([key, values]) => values.some((value) => test(key, value)));

export const CONTAINER_FILTERS = ['id', 'name', 'status', 'ancestor', 'exited'] as const;

/** status: created, running, paused or exited; name: part of the name; id: an id prefix; ancestor: the image (name or id); exited: the exit code. */
export function containerMatches(c: ContainerSummary, filters: Filters): boolean {
  const status = c.status === 'running' && c.paused ? 'paused' : c.status;
  return matchesAll(filters, (key, value) => {
    switch (key) {
      case 'id': return c.id.startsWith(value);
      case 'name': return c.name.includes(value);
      case 'status': return status === value;
      case 'ancestor': return c.image === value || c.image === `${value}:latest` || c.imageId.replace(/^sha256:/, '').startsWith(value.replace(/^sha256:/, ''));
      case 'exited': return c.status === 'exited' && String(c.exitCode) === value;
      default: return false;
    }
  });
}

export const IMAGE_FILTERS = ['dangling', 'reference'] as const;

/** dangling=true: untagged images (false: tagged ones); reference: a name, or name:tag. */
export function imageMatches(i: ImageSummary, filters: Filters): boolean {
  return matchesAll(filters, (key, value) => {
    if (key === 'dangling') return (i.repoTags.length === 0) === (value === 'true' || value === '1');
    if (key === 'reference') return i.repoTags.some((t) => t === value || t.slice(0, t.lastIndexOf(':')) === value);
    return false;
  });
}
