// The whole machine's CPU time from /proc/stat, taken around a timed run. An import row swung
// from 1.06x to 1.56x of its floor on the same code on an idle machine (test/bench/README.md,
// session 15): these figures say whether a slow round worked more, waited on the disk, or had its
// CPUs taken by the host (steal), which a time alone cannot tell. The machine runs nothing else
// during a row, so what it spent is what the side spent.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** proc(5): /proc/stat counts in USER_HZ ticks, 100 a second on Linux. */
const MS_PER_TICK = 10;

/** What every CPU together has spent, in ms, by kind: since boot, or between two readings. */
export interface CpuTimes { busy: number; iowait: number; steal: number }
const KINDS = ['busy', 'iowait', 'steal'] as const;

export function cpuTimes(): CpuTimes {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq) * MS_PER_TICK, iowait: iowait * MS_PER_TICK, steal: steal * MS_PER_TICK };
}

/** Each kind of `readings` (before and after pairs, or any list) folded by `f`. */
export function eachKind(readings: CpuTimes[], f: (xs: number[]) => number): CpuTimes {
  const [busy, iowait, steal] = KINDS.map((k) => f(readings.map((r) => r[k])));
  return { busy, iowait, steal };
}

export const cpuSpent = (before: CpuTimes, after: CpuTimes): CpuTimes => eachKind([after, before], ([a, b]) => a - b);

/**
 * "CPU busy 1320 ms (at least 660 ms of wall on 2 CPUs), iowait 200 ms, steal 0 ms" for the
 * table's notes. The busy time shared out over every CPU is a floor under the side's wall on this
 * machine: a side whose work needs more CPU than the machine has in its time cannot be faster,
 * however well its threads overlap.
 */
export const describeCpu = (c: CpuTimes, cpus = availableParallelism()): string =>
  `CPU busy ${c.busy} ms (at least ${Math.round(c.busy / cpus)} ms of wall on ${cpus} CPUs), iowait ${c.iowait} ms, steal ${c.steal} ms`;
