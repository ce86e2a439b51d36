// The processes of a running container, seen from the host, for `strata top`: its cgroup lists
// them, and /proc tells each one's pid inside the container (the last NSpid: the pid namespace
// at work), its parent, real uid, start time, CPU time and command line.
import { readFile } from 'node:fs/promises';
import type { ContainerProcessInfo } from '../protocol/types';
import { cgroupProcs, pidInContainer } from './cgroups';
import { containerCgroupDirs } from './cgroup-layout';
import { checkContainerId } from './validate';

/** What top shows of each process (the protocol's type: the engine hands it on as it is). */
export type ProcessInfo = ContainerProcessInfo;

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux the helper runs on

async function bootTimeMs(): Promise<number> {
  const btime = /^btime (\d+)$/m.exec(await readFile('/proc/stat', 'utf8'));
  return btime ? Number(btime[1]) * 1000 : 0;
}

async function describe(pid: number, boot: number): Promise<ProcessInfo | null> {
  try {
    const [status, stat, cmdline] = await Promise.all([
      readFile(`/proc/${pid}/status`, 'utf8'),
      readFile(`/proc/${pid}/stat`, 'utf8'),
      readFile(`/proc/${pid}/cmdline`),
    ]);
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const nsPids = field('NSpid').split(/\s+/).map(Number);
    // stat: "pid (comm) state ppid ...": comm may hold spaces and parentheses; fields follow the last ')'.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const rest = stat.slice(close + 2).split(' ');
    const [utime, stime, startTicks] = [Number(rest[11]), Number(rest[12]), Number(rest[19])];
    const argv = cmdline.toString('utf8').split('\0').filter((a, i, all) => a !== '' || i < all.length - 1);
    return {
      pid,
      containerPid: nsPids[nsPids.length - 1],
      ppid: Number(rest[1]),
      uid: Number(field('Uid').split(/\s+/)[0]),
      started: new Date(boot + (startTicks / TICKS_PER_SECOND) * 1000).toISOString(),
      cpuSeconds: (utime + stime) / TICKS_PER_SECOND,
      command: argv.length ? argv.join(' ') : `[${comm}]`,
    };
  } catch {
    return null; // exited between the list and the read
  }
}

export async function containerProcesses(id: string): Promise<ProcessInfo[]> {
  checkContainerId(id);
  const dir = containerCgroupDirs(id).find((d) => d.controller === 'pids' || d.controller === 'unified')?.dir;
  if (!dir) return [];
  const boot = await bootTimeMs();
  const found: ProcessInfo[] = [];
  for (const pid of await cgroupProcs(dir)) {
    // A pid read from the list may have been reused by the time /proc is read: checked again.
    const info = await describe(pid, boot);
    if (info && (await pidInContainer(pid, id))) found.push(info);
  }
  return found.sort((a, b) => a.containerPid - b.containerPid);
}
