// The bench's table: one line a row, each system's median (min-max), Strata's ratio to each peer
// and floor, the target beside it, met or missed; then what each side ran, in notes.
import { describeCpu } from './cpu';
import type { RowResult, Stats, System, Target } from './measure';

const SYSTEMS: System[] = ['strata', 'docker', 'podman', 'floor'];
const HEAD: Record<System, string> = { strata: 'Strata', docker: 'Docker', podman: 'Podman', floor: 'floor' };

function ms(s: Stats | undefined): string {
  if (!s) return '';
  const f = (x: number) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(1)} ms`);
  return s.runs > 1 ? `${f(s.median)} (${f(s.min)}-${f(s.max)})` : f(s.median);
}

export function describeTarget(t: Target | undefined): string {
  if (!t) return '';
  if (t.kind === 'ms') return `<= ${t.max} ms`;
  if (t.kind === 'mb') return `<= ${t.max} MB`;
  return `<= ${t.max} x ${t.against.join(', ')}`;
}

function verdict(r: RowResult): string {
  if (!r.target) return '';
  return r.target.met === null ? 'not measured' : r.target.met ? 'met' : 'MISSED';
}

/** The table as plain text (also in the note), with the systems that took part as columns. */
export function table(results: RowResult[]): string {
  const used = SYSTEMS.filter((s) => results.some((r) => r.stats[s] || r.errors[s]));
  const header = ['row', ...used.map((s) => HEAD[s]), 'ratio', 'target', ''];
  const lines = results.map((r) => [
    r.title,
    ...used.map((s) => (r.errors[s] ? 'failed' : s === 'strata' && r.extra?.peakMB !== undefined && !r.stats.strata ? `${r.extra.peakMB} MB` : ms(r.stats[s]))),
    Object.entries(r.ratios).map(([s, x]) => `${x} x ${HEAD[s as System]}`).join('; '),
    describeTarget(r.target),
    verdict(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ').trimEnd();
  const out = [fmt(header), widths.map((w) => '-'.repeat(w)).join('-|-'), ...lines.map(fmt)];
  const notes: string[] = [];
  for (const r of results) {
    for (const s of used) if (r.errors[s]) notes.push(`${r.id} ${HEAD[s]} failed: ${r.errors[s]}`);
    if (r.note) notes.push(`${r.id}: ${r.note}`);
    for (const [s, c] of Object.entries(r.cpu ?? {})) notes.push(`${r.id} ${HEAD[s as System]}: ${describeCpu(c)} (medians over the timed runs, all CPUs)`);
  }
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}

/** What every side ran, row by row: the exact commands and calls. */
export function commands(results: RowResult[]): string {
  return results.map((r) => [`${r.id}: ${r.title}`, ...Object.entries(r.what).map(([s, w]) => `    ${HEAD[s as System].padEnd(7)} ${w}`)].join('\n')).join('\n');
}
