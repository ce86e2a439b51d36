// Each container's cgroups: created before start with its limits, joined by the shim (from outside,
// before the container's own setup runs, so a fork bomb is limited from its first process), and
// removed once it has exited. Supports cgroup v1 (pids, memory, freezer, cpuset, cpu, cpuacct,
// blkio) and v2. Inside, the container sees its own cgroups at /sys/fs/cgroup, read-only, through
// a cgroup namespace (native/rootfs.c), so runtimes read their memory and CPU limits.
// XXX: only v1 runs here (this project's kernels mount v1 beside an empty unified hierarchy), so the
// v2 paths are untested on a real kernel.
import { existsSync } from 'node:fs';
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StrataError } from '../errors';
import { ErrorCode } from '../protocol/errors';
import { cgroupLayout, containerCgroupDirs, CGROUP_PARENT, type V1Controller } from './cgroup-layout';
import { checkContainerId } from './validate';
import { DEFAULT_PIDS_LIMIT } from './types';

export interface CgroupLimits {
  memoryBytes?: number;
  pidsLimit?: number;
  /** --cpus in billionths of a CPU: a CFS quota per 100 ms period. */
  nanoCpus?: number;
  /** --cpu-shares: relative weight (v1 cpu.shares, 1024 is the default). */
  cpuShares?: number;
}

/** Docker's CFS period (100 ms) and its quota for --cpus (nanoCpus * period / 1e9). */
export const CFS_PERIOD_US = 100_000;
export function cfsQuotaUs(nanoCpus: number): number {
  return Math.round((nanoCpus * CFS_PERIOD_US) / 1e9);
}

async function mkdirIfMissing(dir: string): Promise<boolean> {
  try {
    await mkdir(dir, { mode: 0o755 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export async function cgroupProcs(dir: string): Promise<number[]> {
  const text = await readFile(join(dir, 'cgroup.procs'), 'utf8').catch(() => '');
  return text.split('\n').filter(Boolean).map(Number);
}

/** cgroup v1 cpuset starts empty in a new group, and joining an empty cpuset fails with ENOSPC. */
async function inheritCpuset(dir: string): Promise<void> {
  for (const file of ['cpuset.cpus', 'cpuset.mems']) {
    const own = (await readFile(join(dir, file), 'utf8')).trim();
    if (own) continue;
    await writeFile(join(dir, file), (await readFile(join(dirname(dir), file), 'utf8')).trim());
  }
}

async function writeLimit(dir: string, file: string, value: string): Promise<void> {
  try {
    await writeFile(join(dir, file), value);
  } catch (err) {
    throw new StrataError(ErrorCode.RuntimeFailed, `cgroup: write ${value} to ${join(dir, file)}: ${(err as Error).message}`, { cause: err });
  }
}

async function enableV2Controllers(dir: string): Promise<void> {
  const available = (await readFile(join(dir, 'cgroup.controllers'), 'utf8')).split(/\s+/);
  const wanted = ['pids', 'memory', 'cpu'].filter((c) => available.includes(c));
  if (wanted.length) await writeFile(join(dir, 'cgroup.subtree_control'), wanted.map((c) => `+${c}`).join(' '));
}

/** Creates the container's cgroups and writes its limits; returns the dirs the shim must join. */
export async function createCgroups(id: string, limits: CgroupLimits): Promise<string[]> {
  checkContainerId(id);
  const layout = cgroupLayout();
  const pids = limits.pidsLimit === undefined ? DEFAULT_PIDS_LIMIT : limits.pidsLimit;
  const pidsValue = pids > 0 ? String(pids) : 'max';
  const dirs = containerCgroupDirs(id, layout);
  const wantsCpu = limits.nanoCpus !== undefined || limits.cpuShares !== undefined;
  if (wantsCpu && layout.version === 1 && !layout.mounts.has('cpu')) {
    throw new StrataError(ErrorCode.RuntimeFailed, 'cgroup v1 controller "cpu" is not mounted: --cpus and --cpu-shares need it');
  }
  const created: string[] = [];
  try {
    for (const { controller, dir } of dirs) {
      const parent = dirname(dir);
      if (layout.version === 2) await enableV2Controllers(dirname(parent));
      await mkdirIfMissing(parent);
      if (layout.version === 2) await enableV2Controllers(parent);
      if (controller === 'cpuset') await inheritCpuset(parent);
      if (!(await mkdirIfMissing(dir)) && (await cgroupProcs(dir)).length > 0) {
        throw new StrataError(ErrorCode.InUse, `container ${id.slice(0, 12)} is already running`);
      }
      created.push(dir);
      if (controller === 'cpuset') await inheritCpuset(dir);
      const v1 = controller as V1Controller | 'unified';
      if (v1 === 'pids' || v1 === 'unified') await writeLimit(dir, 'pids.max', pidsValue);
      if (v1 === 'memory') await writeLimit(dir, 'memory.limit_in_bytes', String(limits.memoryBytes ?? -1));
      if (v1 === 'unified') await writeLimit(dir, 'memory.max', limits.memoryBytes === undefined ? 'max' : String(limits.memoryBytes));
      if (v1 === 'cpu' && limits.cpuShares !== undefined) await writeLimit(dir, 'cpu.shares', String(limits.cpuShares));
      if (v1 === 'cpu' && limits.nanoCpus !== undefined) {
        await writeLimit(dir, 'cpu.cfs_period_us', String(CFS_PERIOD_US));
        await writeLimit(dir, 'cpu.cfs_quota_us', String(cfsQuotaUs(limits.nanoCpus)));
      }
      if (v1 === 'unified' && limits.nanoCpus !== undefined) await writeLimit(dir, 'cpu.max', `${cfsQuotaUs(limits.nanoCpus)} ${CFS_PERIOD_US}`);
      // Docker's conversion of shares (2..262144) to a v2 weight (1..10000)
      if (v1 === 'unified' && limits.cpuShares !== undefined) await writeLimit(dir, 'cpu.weight', String(1 + Math.floor(((limits.cpuShares - 2) * 9999) / 262142)));
    }
  } catch (err) {
    for (const dir of created) await rmdir(dir).catch(() => {});
    throw err;
  }
  return dirs.map((d) => d.dir);
}

/** The container's cgroup dirs that exist (all of them while it runs). */
export function existingCgroupDirs(id: string): string[] {
  checkContainerId(id);
  return containerCgroupDirs(id).map((d) => d.dir).filter((d) => existsSync(d));
}

/** True when `pid` is a process of container `id` (checked in its /proc/PID/cgroup), so that a
 *  recycled pid can never make exec join some other process's namespaces. */
export async function pidInContainer(pid: number, id: string): Promise<boolean> {
  const text = await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => '');
  const suffix = `/${CGROUP_PARENT}/${id}`;
  return text.split('\n').some((line) => line.endsWith(suffix) && (cgroupLayout().version === 2 ? line.startsWith('0::') : /:(.*,)?pids(,.*)?:/.test(line)));
}

/** Removes the container's cgroups once it has no processes left (thawing it first if paused). */
export async function removeCgroups(id: string): Promise<void> {
  checkContainerId(id);
  for (const dir of existingCgroupDirs(id)) {
    if (existsSync(join(dir, 'freezer.state'))) await writeFile(join(dir, 'freezer.state'), 'THAWED').catch(() => {});
    if (existsSync(join(dir, 'cgroup.freeze'))) await writeFile(join(dir, 'cgroup.freeze'), '0').catch(() => {});
    // The last task may still be leaving the group right after its parent reaped it: retry EBUSY.
    for (let attempt = 0; ; attempt++) {
      try {
        await rmdir(dir);
        break;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || attempt >= 50) {
          const procs = await cgroupProcs(dir);
          throw new StrataError(
            procs.length ? ErrorCode.InUse : ErrorCode.RuntimeFailed,
            procs.length ? `container ${id.slice(0, 12)} still has processes (${procs.join(' ')})` : `remove cgroup ${dir}: ${(err as Error).message}`,
            { cause: err },
          );
        }
        await sleep(20);
      }
    }
  }
}
