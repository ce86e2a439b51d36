// How the bench takes its figures. These machines are shared and noisy (the same operation can
// differ by 30% from one second to the next), so every system of a row takes its turn in the
// same round (A B A B ...), the order rotating each round so that none always goes first, after
// warm-up rounds that are not counted; a row reports each system's median, min and max, and its
// ratio to each peer taken round by round (the median of the rounds' ratios), never a lone time.

import { cpuSpent, cpuTimes, eachKind, type CpuTimes } from './cpu';

/** Who a row measures: Strata, a peer engine, or a floor no engine can go under. */
export type System = 'strata' | 'docker' | 'podman' | 'floor';

/** One system's side of a row: `run` is timed; `before` and `after` are not (they make its input
 *  and clean up after it, each round). */
export interface Side<C = unknown> {
  /** The exact command or call, as the table's notes print it. */
  what: string;
  before?: (round: number) => Promise<C>;
  run: (ctx: C, round: number) => Promise<unknown>;
  /** Gets what `run` gave back, e.g. the id of the container it made. */
  after?: (ctx: C, round: number, made: any) => Promise<unknown>;
}

/** What a row must reach: a ratio strata / each of `against` at most `max` (against a floor: at
 *  most `max` times the floor), or Strata's median at most `max` ms, or its `extra.peakMB` at most
 *  `max` MB. */
export type Target =
  | { kind: 'ratio'; against: System[]; max: number }
  | { kind: 'ms'; max: number }
  | { kind: 'mb'; max: number };

export interface Row {
  id: string;
  title: string;
  sides: Partial<Record<System, Side<any>>>;
  target?: Target;
  /** Counted rounds (fast rows take the bench's --runs; slow ones fewer). */
  runs?: number;
  warmup?: number;
  /** Why a target cannot be met, when the bench has measured the floor that says so. */
  note?: string;
  /** Also take the whole machine's CPU time during each timed run (cpu.ts), to tell a slow round
   *  that worked more from one that waited on the disk or had its CPUs taken by the host. */
  cpu?: boolean;
}

export interface Stats { median: number; min: number; max: number; runs: number }
export interface RowResult {
  id: string;
  title: string;
  what: Partial<Record<System, string>>;
  stats: Partial<Record<System, Stats>>;
  errors: Partial<Record<System, string>>;
  /** strata / peer, the median of the rounds' ratios. */
  ratios: Partial<Record<System, number>>;
  target?: Target & { met: boolean | null };
  note?: string;
  /** Extra figures a row reports beside its times (e.g. the helper's peak memory). */
  extra?: Record<string, number | string>;
  /** With `Row.cpu`: each system's CPU time on the whole machine during its timed runs (medians). */
  cpu?: Partial<Record<System, CpuTimes>>;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const round1 = (x: number) => Math.round(x * 10) / 10;

export function stats(ms: number[]): Stats {
  return { median: round1(median(ms)), min: round1(Math.min(...ms)), max: round1(Math.max(...ms)), runs: ms.length };
}

async function timed(fn: () => Promise<unknown>, cpu?: CpuTimes[]): Promise<[ms: number, made: unknown]> {
  const c0 = cpu && cpuTimes();
  const t0 = process.hrtime.bigint();
  const made = await fn();
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (c0) cpu.push(cpuSpent(c0, cpuTimes()));
  return [ms, made];
}

/** Runs a row's sides interleaved, `warmup` rounds uncounted then `runs` counted. A side that
 *  fails is reported with its error and left out of the rounds after (the others go on). */
export async function measure(row: Row, defaults: { runs: number; warmup: number }): Promise<RowResult> {
  const runs = row.runs ?? defaults.runs;
  const warmup = row.warmup ?? defaults.warmup;
  const systems = Object.keys(row.sides) as System[];
  const samples: Partial<Record<System, number[]>> = {};
  const errors: Partial<Record<System, string>> = {};
  const cpu: Partial<Record<System, CpuTimes[]>> = {};
  for (let r = 0; r < warmup + runs; r++) {
    const order = systems.map((_, i) => systems[(i + r) % systems.length]);
    for (const sys of order) {
      if (errors[sys]) continue;
      const side = row.sides[sys]!;
      try {
        const ctx = side.before ? await side.before(r) : undefined;
        const counted = r >= warmup;
        const [ms, made] = await timed(() => side.run(ctx, r), row.cpu && counted ? (cpu[sys] ??= []) : undefined);
        if (side.after) await side.after(ctx, r, made);
        if (counted) (samples[sys] ??= []).push(ms);
      } catch (err) {
        errors[sys] = String((err as Error).message ?? err).split('\n').slice(0, 3).join(' | ');
      }
    }
  }
  const result: RowResult = { id: row.id, title: row.title, what: {}, stats: {}, errors, ratios: {}, note: row.note };
  for (const sys of systems) {
    result.what[sys] = row.sides[sys]!.what;
    const xs = samples[sys];
    if (xs?.length && !errors[sys]) result.stats[sys] = stats(xs);
  }
  const mine = samples.strata;
  for (const sys of systems) {
    const theirs = samples[sys];
    if (sys === 'strata' || !mine || !theirs || errors.strata || errors[sys]) continue;
    const n = Math.min(mine.length, theirs.length);
    result.ratios[sys] = Math.round(median(Array.from({ length: n }, (_, i) => mine[i] / theirs[i])) * 100) / 100;
  }
  if (row.cpu) result.cpu = Object.fromEntries(systems.filter((s) => cpu[s] && !errors[s]).map((s) => [s, eachKind(cpu[s]!, median)]));
  result.target = row.target && { ...row.target, met: metTarget(row.target, result) };
  return result;
}

/** Whether a row met its target; null when what it needs was not measured (a peer missing). */
export function metTarget(t: Target, r: RowResult): boolean | null {
  if (t.kind === 'ms') return r.stats.strata ? r.stats.strata.median <= t.max : null;
  if (t.kind === 'mb') return typeof r.extra?.peakMB === 'number' ? r.extra.peakMB <= t.max : null;
  const got = t.against.map((s) => r.ratios[s]).filter((x): x is number => x !== undefined);
  return got.length ? got.every((x) => x <= t.max) : null;
}

/** A figure measured some other way (e.g. inside VS Code), carried into the same table. */
export function reported(id: string, title: string, what: string, ms: number[], targetMs?: number): RowResult {
  const r: RowResult = { id, title, what: { strata: what }, stats: { strata: stats(ms) }, errors: {}, ratios: {} };
  if (targetMs !== undefined) r.target = { kind: 'ms', max: targetMs, met: metTarget({ kind: 'ms', max: targetMs }, r) };
  return r;
}
