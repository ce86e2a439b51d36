// The whole machine's CPU time from /proc/stat, taken around a timed run. An import row swung
// from 1.06x to 1.56x of its floor on the same code on an idle machine (test/bench/README.md,
// session 15): these figures say whether a slow round worked more, waited on the disk, or had its
// CPUs taken by the host (steal), which a time alone cannot tell. The machine runs nothing else
// during a row, so what it spent is what the side spent.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** proc(5): /proc/stat counts in USER_HZ ticks, 100 a second on Linux. */
const MS_PER_TICK = 10;

/** What every CPU together has spent since boot, in ms, by kind. */
export interface CpuTimes { busy: number; iowait: number; steal: number }
/** What they spent between two readings, in ms. */
export type CpuSpent = CpuTimes;

export function cpuTimes(): CpuTimes {
  // cpu  user nice system idle iowait irq softirq steal guest guest_nice
  const f = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0].trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , iowait, irq, softirq, steal] = f;
  return { busy: (user + nice + system + irq + softirq) * MS_PER_TICK, iowait: iowait * MS_PER_TICK, steal: steal * MS_PER_TICK };
}

export function cpuSpent(before: CpuTimes, after: CpuTimes): CpuSpent {
  return { busy: after.busy - before.busy, iowait: after.iowait - before.iowait, steal: after.steal - before.steal };
}

/** Each kind's median over a row's counted runs. */
export function cpuMedians(spent: CpuSpent[], median: (xs: number[]) => number): CpuSpent {
  const m = (k: keyof CpuSpent) => median(spent.map((s) => s[k]));
  return { busy: m('busy'), iowait: m('iowait'), steal: m('steal') };
}

/**
 * "CPU busy 1320 ms (at least 660 ms of wall on 2 CPUs), iowait 200 ms, steal 0 ms" for the
 * table's notes. The busy time shared out over every CPU is a floor under the side's wall on this
 * machine: a side whose work needs more CPU than the machine has in its time cannot be faster,
 * however well its threads overlap.
 */
export const describeCpu = (c: CpuSpent, cpus = availableParallelism()): string =>
  `CPU busy ${c.busy} ms (at least ${Math.round(c.busy / cpus)} ms of wall on ${cpus} CPUs), iowait ${c.iowait} ms, steal ${c.steal} ms`;
